// CollectResults: one row per finished run, with the union of /config attributes and /final
// metrics as columns, written as column datasets to results.h5 and as rows to results.csv.
// Bad run files are skipped and reported so that one broken run never blocks a fit.
#include "experiments/collect.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <system_error>
#include <utility>

#include "core/errors.h"
#include "experiments/h5_handle.h"
#include "experiments/results_dir.h"
#include "experiments/run_file_reader.h"

namespace florenz {
namespace fs = std::filesystem;

// Version of the results.h5 layout, stored as its root attribute "florenz_results_format".
constexpr int64_t kResultsFormatVersion = 1;

namespace {

struct Row {
  std::string run_id, status, reason;
  std::map<std::string, double> numbers;
  std::map<std::string, std::string> strings;
  std::map<std::string, double> final_metrics;
};

// Shortest text that reads back as the same double; empty for NaN (a missing value).
std::string FormatNumber(double value) {
  if (std::isnan(value)) return "";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

// RFC 4180 quoting, only where needed.
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos &&
      (text.empty() || (text.front() != ' ' && text.back() != ' '))) {
    return text;
  }
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// The /config columns: numeric unless any run stores the attribute as a string.
struct ConfigColumns {
  std::set<std::string> numeric, text;
};

ConfigColumns ConfigColumnsOf(const std::vector<Row>& rows) {
  ConfigColumns columns;
  for (const Row& row : rows) {
    for (const auto& [name, value] : row.strings) columns.text.insert(name);
  }
  for (const Row& row : rows) {
    for (const auto& [name, value] : row.numbers) {
      if (columns.text.count(name) == 0) columns.numeric.insert(name);
    }
  }
  return columns;
}

std::set<std::string> FinalColumnsOf(const std::vector<Row>& rows) {
  std::set<std::string> names;
  for (const Row& row : rows) {
    for (const auto& [name, value] : row.final_metrics) names.insert(name);
  }
  return names;
}

double NumberOr(const std::map<std::string, double>& values, const std::string& name) {
  auto it = values.find(name);
  return it == values.end() ? std::nan("") : it->second;
}

// A config value as text: the string, the number formatted, or empty when missing.
std::string ConfigText(const Row& row, const std::string& name) {
  if (auto it = row.strings.find(name); it != row.strings.end()) return it->second;
  return FormatNumber(NumberOr(row.numbers, name));
}

void WriteResultsH5(const fs::path& file, const std::vector<Row>& rows) {
  const ConfigColumns config_columns = ConfigColumnsOf(rows);
  const std::set<std::string> final_columns = FinalColumnsOf(rows);
  H5Handle h5 = CreateFileTruncate(file);
  {
    WriteInt64Attribute(h5.get(), "florenz_results_format", kResultsFormatVersion);
    WriteInt64Attribute(h5.get(), "n_runs", static_cast<int64_t>(rows.size()));
    std::vector<std::string> run_id, status, reason;
    for (const Row& row : rows) {
      run_id.push_back(row.run_id);
      status.push_back(row.status);
      reason.push_back(row.reason);
    }
    WriteStringColumn(h5.get(), "run_id", run_id);
    WriteStringColumn(h5.get(), "status", status);
    WriteStringColumn(h5.get(), "reason", reason);

    H5Handle config = CreateGroup(h5.get(), "config");
    for (const std::string& name : config_columns.numeric) {
      std::vector<double> column;
      for (const Row& row : rows) column.push_back(NumberOr(row.numbers, name));
      WriteDoubleColumn(config.get(), name, column);
    }
    for (const std::string& name : config_columns.text) {
      std::vector<std::string> column;
      for (const Row& row : rows) column.push_back(ConfigText(row, name));
      WriteStringColumn(config.get(), name, column);
    }

    H5Handle final_group = CreateGroup(h5.get(), "final");
    for (const std::string& name : final_columns) {
      std::vector<double> column;
      for (const Row& row : rows) column.push_back(NumberOr(row.final_metrics, name));
      WriteDoubleColumn(final_group.get(), name, column);
    }
  }
  h5.Close();
}

std::string ResultsCsv(const std::vector<Row>& rows) {
  const ConfigColumns config_columns = ConfigColumnsOf(rows);
  std::set<std::string> config_names = config_columns.numeric;
  config_names.insert(config_columns.text.begin(), config_columns.text.end());
  const std::set<std::string> final_columns = FinalColumnsOf(rows);

  std::string csv = "run_id,status,reason";
  for (const std::string& name : config_names) csv += "," + CsvField("config/" + name);
  for (const std::string& name : final_columns) csv += "," + CsvField("final/" + name);
  csv += "\n";
  for (const Row& row : rows) {
    csv += CsvField(row.run_id) + "," + CsvField(row.status) + "," + CsvField(row.reason);
    for (const std::string& name : config_names) csv += "," + CsvField(ConfigText(row, name));
    for (const std::string& name : final_columns) {
      csv += "," + FormatNumber(NumberOr(row.final_metrics, name));
    }
    csv += "\n";
  }
  return csv;
}

}  // namespace

std::string CollectSummary::BriefReport() const {
  std::string report = std::to_string(finished) + " runs (" + std::to_string(finished - failed) +
                       " completed, " + std::to_string(failed) + " failed) -> " +
                       results_h5.string() + ", " + results_csv.string();
  if (unfinished > 0) report += "; " + std::to_string(unfinished) + " unfinished";
  if (!problems.empty()) {
    report +=
        "; " + std::to_string(problems.size()) + (problems.size() == 1 ? " problem" : " problems");
  }
  return report;
}

namespace {

// True when `file` is absent or was written by CollectResults (results.h5 with its format
// attribute, results.csv with its header): collect replaces only its own files.
bool OursOrAbsent(const fs::path& file, bool h5) {
  std::error_code error;
  if (!fs::exists(file, error)) return true;
  if (!h5) {
    std::ifstream in(file);
    std::string header;
    std::getline(in, header);
    return header.rfind("run_id,status,reason", 0) == 0;
  }
  try {
    const H5Handle h5_file = OpenFileReadOnly(file);
    return AttributeExists(h5_file.get(), "florenz_results_format");
  } catch (const IoError&) {
    return false;
  }
}

}  // namespace

CollectSummary CollectResults(const fs::path& out_dir) {
  std::error_code error;
  if (!fs::is_directory(out_dir, error)) {
    throw IoError(out_dir.string() + ": not a results directory (no such directory)");
  }
  const ResultsDir dir(out_dir);
  CollectSummary summary;
  summary.results_h5 = dir.ResultsH5();
  summary.results_csv = dir.ResultsCsv();
  for (const auto& [file, h5] :
       {std::pair{summary.results_h5, true}, std::pair{summary.results_csv, false}}) {
    if (!OursOrAbsent(file, h5)) {
      throw IoError(file.string() +
                    ": exists and was not written by florenz collect; it is left as it is "
                    "(move it away to collect into this folder)");
    }
  }

  std::vector<Row> rows;
  for (const ResultsDir::RunEntry& entry : dir.ListRuns()) {
    if (!entry.finished) {
      ++summary.unfinished;
      summary.unfinished_runs.push_back(entry.run_id);
      continue;
    }
    try {
      const RunFileReader reader = RunFileReader::Open(entry.file);
      if (reader.run_id() != entry.run_id) {
        summary.problems.push_back(entry.file.string() + ": holds run_id '" + reader.run_id() +
                                   "', not '" + entry.run_id + "' (renamed?); skipped");
        continue;
      }
      rows.push_back(Row{reader.run_id(), ToString(reader.status()), reader.reason(),
                         reader.numbers(), reader.strings(), reader.final_metrics()});
      ++summary.finished;
      if (reader.status() == RunStatus::kFailed) ++summary.failed;
    } catch (const IoError& e) {
      summary.problems.push_back(std::string(e.what()) + "; skipped");
    }
  }

  const fs::path tmp = TemporaryFile(summary.results_h5);
  try {
    WithFileContext(tmp, [&] { WriteResultsH5(tmp, rows); });
    SyncFile(tmp);
  } catch (...) {
    fs::remove(tmp, error);
    throw;
  }
  fs::rename(tmp, summary.results_h5, error);
  if (error) {
    throw IoError(summary.results_h5.string() + ": cannot rename " + tmp.string() + ": " +
                  error.message());
  }
  WriteFileAtomically(summary.results_csv, ResultsCsv(rows));  // Also syncs OUT/.
  return summary;
}

}  // namespace florenz
