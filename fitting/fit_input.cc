// Reading results.h5 / CSV tables and resolving columns and short names for `florenz fit`
// (see fit_input.h and docs/fitting.md).
#include "fitting/fit_input.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/errors.h"
#include "experiments/did_you_mean.h"
#include "experiments/h5_handle.h"
#include "experiments/results_dir.h"
#include "fitting/eval_series.h"
#include "fitting/run_selection.h"
#include "fitting/seed_mean.h"

namespace florenz {
namespace {

namespace fs = std::filesystem;

std::string FormatNumber(double value) {
  if (std::isnan(value)) return "";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return buffer;
}

// Parses a whole cell as a finite or infinite double; false for text or an empty cell.
bool ParseNumber(const std::string& text, double* value) {
  if (text.empty()) return false;
  char* end = nullptr;
  *value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

void AddColumn(FitTable* table, const std::string& name, std::vector<std::string> cells) {
  table->names.push_back(name);
  table->cells[name] = std::move(cells);
}

FitTable ReadResultsH5(const fs::path& file) {
  return WithFileContext(file, [&] {
    FitTable table;
    table.source = file.string();
    H5Handle h5 = OpenFileReadOnly(file);
    auto read_any = [&](hid_t loc, const std::string& name, const std::string& column) {
      std::vector<std::string> cells;
      try {
        for (const double v : ReadDoubleColumn(loc, name)) cells.push_back(FormatNumber(v));
      } catch (const H5Error&) {
        cells = ReadStringColumn(loc, name);
      }
      table.rows = static_cast<int>(cells.size());
      AddColumn(&table, column, std::move(cells));
    };
    for (const std::string& name : LinkNames(h5.get())) {
      if (name == "config" || name == "final") {
        H5Handle group = OpenGroup(h5.get(), name);
        for (const std::string& child : LinkNames(group.get())) {
          read_any(group.get(), child, name + "/" + child);
        }
      } else {
        read_any(h5.get(), name, name);
      }
    }
    return table;
  });
}

// RFC 4180: quoted fields may hold commas, quotes ("") and newlines.
FitTable ReadCsv(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(SourceLocation{file.string(), 0, 0}, "cannot open the CSV file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  std::vector<std::vector<std::string>> records(1);
  std::vector<int> record_lines = {1};
  std::string field;
  bool quoted = false, field_started = false;
  int line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
    } else if (c == '"' && !field_started) {
      quoted = field_started = true;
    } else if (c == ',') {
      records.back().push_back(field);
      field.clear();
      field_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      records.back().push_back(field);
      field.clear();
      field_started = false;
      records.emplace_back();
      record_lines.push_back(++line);
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted) {
    throw ConfigError(SourceLocation{file.string(), line, 0}, "unterminated quoted CSV field");
  }
  if (field_started || !records.back().empty()) records.back().push_back(field);
  // Drop blank lines (a trailing newline leaves one).
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;
  for (size_t r = 0; r < records.size(); ++r) {
    if (records[r].empty() || (records[r].size() == 1 && records[r][0].empty())) continue;
    rows.push_back(std::move(records[r]));
    lines.push_back(record_lines[r]);
  }
  if (rows.empty()) throw ConfigError(SourceLocation{file.string(), 1, 0}, "the CSV file is empty");
  FitTable table;
  table.source = file.string();
  const std::vector<std::string>& header = rows[0];
  std::vector<std::vector<std::string>> columns(header.size());
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() != header.size()) {
      throw ConfigError(SourceLocation{file.string(), lines[r], 0},
                        "the row has " + std::to_string(rows[r].size()) +
                            " fields, the header has " + std::to_string(header.size()));
    }
    for (size_t j = 0; j < header.size(); ++j) columns[j].push_back(rows[r][j]);
  }
  for (size_t j = 0; j < header.size(); ++j) {
    if (table.Has(header[j])) {
      throw ConfigError(SourceLocation{file.string(), 1, 0},
                        "the header names column '" + header[j] + "' twice");
    }
    AddColumn(&table, header[j], std::move(columns[j]));
  }
  table.rows = static_cast<int>(rows.size()) - 1;
  return table;
}

std::vector<double> NumericColumn(const FitTable& table, const std::string& column) {
  std::vector<double> values;
  const auto& cells = table.cells.at(column);
  for (size_t i = 0; i < cells.size(); ++i) {
    double v = NAN;
    if (!cells[i].empty() && !ParseNumber(cells[i], &v)) {
      throw ConfigError(SourceLocation{table.source, 0, 0}, "column '" + column + "' row " +
                                                                std::to_string(i + 1) + ": '" +
                                                                cells[i] + "' is not a number");
    }
    values.push_back(v);
  }
  return values;
}

// The column a name refers to, "" if none: exact, then final/NAME, then config/NAME.
std::string FindColumn(const FitTable& table, const std::string& name) {
  for (const std::string& candidate : {name, "final/" + name, "config/" + name}) {
    if (table.Has(candidate)) return candidate;
  }
  return "";
}

[[noreturn]] void UnknownColumn(const FitTable& table, const std::string& name,
                                const std::string& role) {
  std::string known;
  // Suggest short forms too: `--y unseen_captoin` should find final/unseen_caption.
  std::vector<std::string> candidates = table.names;
  for (const auto& n : table.names) {
    known += (known.empty() ? "" : ", ") + n;
    const size_t slash = n.find('/');
    if (slash != std::string::npos) candidates.push_back(n.substr(slash + 1));
  }
  throw ConfigError(SourceLocation{table.source, 0, 0}, role + " '" + name + "' is not a column" +
                                                            DidYouMean(name, candidates) +
                                                            "; columns: " + known);
}

// Values of a variable by name, resolving the short names N, D and C (docs/fitting.md).
std::vector<double> Variable(const FitTable& table, const std::string& name, ComputeUnit unit,
                             const std::string& role) {
  // The rate a run trained with: its learning-rate rule resolved for its size
  // (config/peak_learning_rate), else the grid's config/learning_rate (an axis).
  if ((name == "learning_rate" || name == "lr") && table.Has("config/peak_learning_rate")) {
    return NumericColumn(table, "config/peak_learning_rate");
  }
  if (name == "lr" && table.Has("config/learning_rate")) {
    return NumericColumn(table, "config/learning_rate");
  }
  const std::string column = FindColumn(table, name);
  if (!column.empty()) return NumericColumn(table, column);
  if (name == "width") {
    if (table.Has("config/d_model")) return NumericColumn(table, "config/d_model");
    throw ConfigError(SourceLocation{table.source, 0, 0},
                      role + " 'width' needs a column width or config/d_model");
  }
  if (name == "N") {
    for (const char* c : {"config/non_embedding_params", "config/params"}) {
      if (table.Has(c)) return NumericColumn(table, c);
    }
    throw ConfigError(SourceLocation{table.source, 0, 0},
                      role +
                          " 'N' needs a column N, config/non_embedding_params or "
                          "config/params");
  }
  if (name == "D") {
    if (table.Has("config/samples")) return NumericColumn(table, "config/samples");
    throw ConfigError(SourceLocation{table.source, 0, 0},
                      role + " 'D' needs a column D or config/samples");
  }
  if (name == "C") {
    if (table.Has("config/flops_per_sample") && table.Has("config/samples")) {
      const auto f = NumericColumn(table, "config/flops_per_sample");
      const auto s = NumericColumn(table, "config/samples");
      std::vector<double> c(f.size());
      for (size_t i = 0; i < c.size(); ++i) {
        c[i] = unit == ComputeUnit::kFlops ? 3.0 * f[i] * s[i] : 0.5 * f[i] * s[i];
      }
      return c;
    }
    throw ConfigError(SourceLocation{table.source, 0, 0},
                      role +
                          " 'C' needs a column C, or config/flops_per_sample and "
                          "config/samples");
  }
  UnknownColumn(table, name, role);
}

bool Matches(const std::string& cell, const std::string& wanted) {
  double a, b;
  if (ParseNumber(cell, &a) && ParseNumber(wanted, &b)) return a == b;
  return cell == wanted;
}

}  // namespace

std::string ToString(ComputeUnit unit) { return unit == ComputeUnit::kFlops ? "flops" : "macs"; }

ComputeUnit ComputeUnitFromString(const std::string& text) {
  if (text == "flops") return ComputeUnit::kFlops;
  if (text == "macs") return ComputeUnit::kMacs;
  throw ConfigError(SourceLocation{"--compute", 0, 0},
                    "unknown compute unit '" + text + "' (flops or macs)");
}

FitTable ReadFitTable(const std::string& path) {
  fs::path file = path;
  if (fs::is_directory(file)) file = ResultsDir(file).ResultsH5();
  if (!fs::exists(file)) {
    throw ConfigError(SourceLocation{file.string(), 0, 0},
                      "no such file (give a results folder, results.h5 or a CSV file; run "
                      "`florenz collect OUT` to make OUT/results.h5)");
  }
  const std::string ext = file.extension().string();
  if (ext == ".h5" || ext == ".hdf5") return ReadResultsH5(file);
  return ReadCsv(file);
}

FitData SelectFitData(const FitTable& table, const FitInputOptions& options,
                      std::vector<std::string>* notes) {
  const SourceLocation where{table.source, 0, 0};
  std::vector<bool> keep(table.rows, true);
  bool filters_status = false;
  for (const std::string& filter : options.where) {
    const size_t eq = filter.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw ConfigError(SourceLocation{"--where", 0, 0}, "'" + filter + "' is not COLUMN=VALUE");
    }
    const std::string name = filter.substr(0, eq), value = filter.substr(eq + 1);
    const std::string column = FindColumn(table, name);
    if (column.empty()) UnknownColumn(table, name, "--where column");
    filters_status |= column == "status";
    const auto& cells = table.cells.at(column);
    for (int i = 0; i < table.rows; ++i) keep[i] = keep[i] && Matches(cells[i], value);
  }
  if (!filters_status && table.Has("status")) {
    int dropped = 0;
    const auto& status = table.cells.at("status");
    for (int i = 0; i < table.rows; ++i) {
      if (keep[i] && status[i] != "completed") {
        keep[i] = false;
        ++dropped;
      }
    }
    if (dropped > 0 && notes != nullptr) {
      notes->push_back(std::to_string(dropped) + " run(s) not completed were left out");
    }
  }
  FitData data;
  data.source = table.source;
  data.x_names = options.x;
  data.y_name = options.y;
  std::vector<std::vector<double>> x_all;
  for (const std::string& name : options.x) {
    x_all.push_back(Variable(table, name, options.compute, "--x variable"));
  }
  const std::string y_column = FindColumn(table, options.y);
  if (y_column.empty()) UnknownColumn(table, options.y, "--y column");
  const std::vector<double> y_all = NumericColumn(table, y_column);
  std::vector<double> c_all;
  try {
    c_all = Variable(table, "C", options.compute, "");
  } catch (const ConfigError&) {
    // No compute: holdout ranks by the product of the variables instead.
  }
  const std::string label_column = table.Has("run_id") ? "run_id" : "";
  // A run's size, budget and cell (docs/fitting.md, "Held-out checks" and "Seed means"): the
  // axes a --select collapsed are not part of the cell.
  const bool has_cells = table.Has("config/size") && table.Has("config/samples");
  const std::vector<double> samples_all =
      has_cells ? NumericColumn(table, "config/samples") : std::vector<double>{};
  std::vector<std::string> cell_columns = {"config/size", "config/samples"};
  if (options.select_metric.empty()) {
    for (const std::string& axis : TableAxes(table)) {
      if (table.Has("config/" + axis)) cell_columns.push_back("config/" + axis);
    }
  }
  data.x.resize(options.x.size());
  for (int i = 0; i < table.rows; ++i) {
    if (!keep[i]) continue;
    for (size_t j = 0; j < x_all.size(); ++j) data.x[j].push_back(x_all[j][i]);
    data.y.push_back(y_all[i]);
    if (!c_all.empty()) data.compute.push_back(c_all[i]);
    data.labels.push_back(label_column.empty() ? "row " + std::to_string(i + 1)
                                               : table.cells.at(label_column)[i]);
    if (has_cells) {
      data.sizes.push_back(table.cells.at("config/size")[i]);
      data.samples.push_back(samples_all[i]);
      std::string cell;
      for (const std::string& column : cell_columns) {
        cell += (cell.empty() ? "" : "|") + table.cells.at(column)[i];
      }
      data.cells.push_back(cell);
    }
  }
  if (data.y.empty()) {
    throw ConfigError(where, "no rows left after the filters (" + std::to_string(table.rows) +
                                 " rows in the file)");
  }
  return data;
}

FitData LoadFitData(const FitInputOptions& options, std::vector<std::string>* notes) {
  FitTable table = ReadFitTable(options.path);
  if (!options.select_metric.empty()) {
    table = SelectBestRuns(table, options.select_metric, notes);
  } else if (const auto axes = TableAxes(table); !axes.empty() && notes != nullptr) {
    std::string names;
    for (const auto& a : axes) names += (names.empty() ? "" : ", ") + a;
    notes->push_back("the runs were trained over hyperparameter axes (" + names +
                     ") and every run is fitted; --select best keeps the best run per (size, "
                     "budget, seed)");
  }
  if (options.smooth_last < 1) {
    throw ConfigError(SourceLocation{"--smooth", 0, 0}, "K must be >= 1");
  }
  std::string pair, metric;
  FitInputOptions resolved = options;
  if (options.smooth_last > 1) {
    // The mean of the last K evaluations per run, from the run files.
    resolved.y = AddSmoothedColumn(&table, options.y, options.smooth_last);
  } else if (FindColumn(table, options.y).empty() &&
             ParseEvalSeriesName(options.y, &pair, &metric)) {
    // --y /eval/<pair>/<metric>: the final value of that series per run, from the run files.
    resolved.y = AddEvalSeriesColumn(&table, options.y);
  }
  FitData data = SelectFitData(table, resolved, notes);
  data.y_name = options.y;  // as the user wrote it, for the table and the plot
  if (options.smooth_last > 1) {
    data.y_name += " (mean of the last " + std::to_string(options.smooth_last) + " evaluations)";
  }
  if (options.seed_mean) data = SeedMeans(data, notes);
  return data;
}

}  // namespace florenz
