// Reading the final value of an /eval/<pair>/<metric> series from each run file into a fit
// column (see eval_series.h).
#include "fitting/eval_series.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "core/errors.h"
#include "experiments/did_you_mean.h"
#include "experiments/results_dir.h"
#include "experiments/run_file_reader.h"

namespace florenz {

namespace fs = std::filesystem;

bool ParseEvalSeriesName(const std::string& name, std::string* pair, std::string* metric) {
  std::string rest = name;
  if (rest.rfind("/", 0) == 0) rest = rest.substr(1);
  if (rest.rfind("eval/", 0) != 0) return false;
  rest = rest.substr(5);
  const size_t slash = rest.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size()) return false;
  if (rest.find('/', slash + 1) != std::string::npos) return false;
  *pair = rest.substr(0, slash);
  *metric = rest.substr(slash + 1);
  return true;
}

std::string AddEvalSeriesColumn(FitTable* table, const std::string& name) {
  std::string pair, metric;
  const SourceLocation where{table->source, 0, 0};
  if (!ParseEvalSeriesName(name, &pair, &metric)) {
    throw ConfigError(where, "'" + name + "' is not /eval/<pair>/<metric>");
  }
  const std::string column = "eval/" + pair + "/" + metric;
  if (table->Has(column)) return column;
  if (!table->Has("run_id")) {
    throw ConfigError(where, "--y " + name +
                                 " reads the run files, by the run_id column; the "
                                 "table has none");
  }
  const ResultsDir results(fs::path(table->source).parent_path());
  const fs::path runs_dir = results.RunsDir();
  if (!fs::is_directory(runs_dir)) {
    throw ConfigError(where, "--y " + name + " reads each run's series from the run files, but " +
                                 runs_dir.string() +
                                 " does not exist (give the results folder written by "
                                 "`florenz run`)");
  }
  std::vector<std::string> cells;
  for (const std::string& run_id : table->cells.at("run_id")) {
    const fs::path file = results.RunFile(run_id);
    if (!fs::exists(file)) {
      throw ConfigError(
          SourceLocation{file.string(), 0, 0},
          "the run file of '" + run_id + "' is missing (needed for --y " + name + ")");
    }
    const RunFileReader reader = RunFileReader::Open(file);
    const std::vector<std::string> pairs = reader.eval_pairs();
    if (std::find(pairs.begin(), pairs.end(), pair) == pairs.end()) {
      std::string known;
      for (const auto& p : pairs) known += (known.empty() ? "" : ", ") + p;
      throw ConfigError(
          SourceLocation{file.string(), 0, 0},
          "no evaluation pair '" + pair + "'" + DidYouMean(pair, pairs) + "; pairs: " + known);
    }
    const RunFileReader::EvalSeries series = reader.ReadEval(pair);
    const auto values = series.metrics.find(metric);
    if (values == series.metrics.end()) {
      std::vector<std::string> metrics;
      std::string known;
      for (const auto& [m, v] : series.metrics) {
        metrics.push_back(m);
        known += (known.empty() ? "" : ", ") + m;
      }
      throw ConfigError(SourceLocation{file.string(), 0, 0},
                        "pair '" + pair + "' has no metric '" + metric + "'" +
                            DidYouMean(metric, metrics) + "; metrics: " + known);
    }
    // The final value: the last row (generation metrics are only written at the final
    // evaluation, so earlier rows hold NaN for them).
    const double last = values->second.empty() ? NAN : values->second.back();
    char text[32] = "";
    if (std::isfinite(last)) std::snprintf(text, sizeof(text), "%.17g", last);
    cells.push_back(text);
  }
  table->names.push_back(column);
  table->cells[column] = std::move(cells);
  return column;
}

}  // namespace florenz
