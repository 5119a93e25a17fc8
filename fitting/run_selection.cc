// Per-cell selection (see run_selection.h).
#include "fitting/run_selection.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <tuple>

#include "core/errors.h"

namespace florenz {
namespace {

bool Finite(const std::string& cell, double* value) {
  if (cell.empty()) return false;
  char* end = nullptr;
  *value = std::strtod(cell.c_str(), &end);
  return end != nullptr && *end == '\0' && std::isfinite(*value);
}

std::string MetricColumn(const FitTable& table, const std::string& metric) {
  const std::string column = MetricColumnOf(table, metric);
  if (!column.empty()) return column;
  throw ConfigError(
      SourceLocation{table.source, 0, 0},
      "--select best:" + metric + ": the table has no column " + metric + " or final/" + metric);
}

const std::vector<std::string>& Column(const FitTable& table, const std::string& name) {
  if (!table.Has(name)) {
    throw ConfigError(
        SourceLocation{table.source, 0, 0},
        "--select needs the column " + name + " to tell the (size, budget, seed) cells apart");
  }
  return table.cells.at(name);
}

}  // namespace

std::string MetricColumnOf(const FitTable& table, const std::string& metric) {
  for (const std::string& candidate : {metric, "final/" + metric}) {
    if (table.Has(candidate)) return candidate;
  }
  return "";
}

std::string ParseSelect(const std::string& text) {
  if (text.empty() || text == "all") return "";
  if (text == "best") return kDefaultSelectMetric;
  if (text.rfind("best:", 0) == 0 && text.size() > 5) return text.substr(5);
  throw ConfigError(SourceLocation{"--select", 0, 0},
                    "'" + text + "' is not a selection; use all, best or best:METRIC");
}

std::vector<std::string> TableAxes(const FitTable& table) {
  std::vector<std::string> axes;
  if (!table.Has("config/axes")) return axes;
  for (const std::string& cell : table.cells.at("config/axes")) {
    size_t start = 0;
    while (start < cell.size()) {
      const size_t comma = cell.find(',', start);
      const std::string key =
          cell.substr(start, comma == std::string::npos ? comma : comma - start);
      if (!key.empty() && std::find(axes.begin(), axes.end(), key) == axes.end()) {
        axes.push_back(key);
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return axes;
}

FitTable SelectBestRuns(const FitTable& table, const std::string& metric,
                        std::vector<std::string>* notes) {
  const std::string column = MetricColumn(table, metric);
  const auto& values = table.cells.at(column);
  const auto& size = Column(table, "config/size");
  const auto& samples = Column(table, "config/samples");
  const auto& seed = Column(table, "config/seed");
  const std::vector<std::string>* status =
      table.Has("status") ? &table.cells.at("status") : nullptr;
  const std::vector<std::string>* run_id =
      table.Has("run_id") ? &table.cells.at("run_id") : nullptr;
  auto label = [&](int row) {
    return run_id != nullptr ? (*run_id)[row] : "row " + std::to_string(row + 1);
  };

  using Cell = std::tuple<std::string, double, double>;
  struct Best {
    int row = -1;
    double value = 0;
    std::vector<int> tied;
  };
  std::map<Cell, Best> best;
  std::map<Cell, int> runs_in_cell;
  for (int row = 0; row < table.rows; ++row) {
    double d = NAN, s = NAN;
    Finite(samples[row], &d);
    Finite(seed[row], &s);
    const Cell cell{size[row], d, s};
    Best& b = best[cell];
    ++runs_in_cell[cell];
    double value = NAN;
    if (status != nullptr && (*status)[row] != "completed") continue;
    if (!Finite(values[row], &value)) continue;
    if (b.row < 0 || value < b.value) {
      b.row = row, b.value = value, b.tied.clear();
    } else if (value == b.value) {
      int other = row;
      if (label(row) < label(b.row)) std::swap(b.row, other);
      b.tied.push_back(other);
    }
  }
  std::vector<bool> keep(table.rows, false);
  int kept = 0, empty_cells = 0;
  for (const auto& [cell, b] : best) {
    if (b.row < 0) {
      ++empty_cells;
      if (notes != nullptr) {
        notes->push_back("--select: no completed run of " + std::get<0>(cell) + " at " +
                         std::to_string(std::llround(std::get<1>(cell))) + " samples, seed " +
                         std::to_string(std::llround(std::get<2>(cell))) + " has a value of " +
                         metric + "; the cell is left out");
      }
      continue;
    }
    keep[b.row] = true;
    ++kept;
    if (notes != nullptr) {
      for (const int other : b.tied) {
        notes->push_back("--select: " + label(b.row) + " and " + label(other) + " tie at " +
                         metric + " = " + values[b.row] + "; kept " + label(b.row) +
                         " (first run id)");
      }
    }
  }
  FitTable selected;
  selected.source = table.source;
  selected.names = table.names;
  for (const std::string& name : table.names) selected.cells[name];
  for (int row = 0; row < table.rows; ++row) {
    if (!keep[row]) continue;
    for (const std::string& name : table.names) {
      selected.cells[name].push_back(table.cells.at(name)[row]);
    }
    ++selected.rows;
  }
  if (notes != nullptr) {
    notes->push_back(
        "--select best:" + metric + ": kept " + std::to_string(kept) + " of " +
        std::to_string(table.rows) + " runs, the lowest " + metric +
        " of each (size, budget, seed) cell" +
        (empty_cells > 0 ? "; " + std::to_string(empty_cells) + " cell(s) left out" : ""));
  }
  return selected;
}

}  // namespace florenz
