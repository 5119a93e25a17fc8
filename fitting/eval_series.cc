// Reading the final value of an /eval/<pair>/<metric> series from each run file into a fit
// column (see eval_series.h).
#include "fitting/eval_series.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
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

namespace {

// The mean of the last `k` finite values of `values` (NaN when there is none). Generation
// metrics are only written at the final evaluation unless asked, so earlier rows may be NaN.
double MeanOfLast(const std::vector<double>& values, int k) {
  double sum = 0;
  int taken = 0;
  for (size_t i = values.size(); i-- > 0 && taken < k;) {
    if (!std::isfinite(values[i])) continue;
    sum += values[i];
    ++taken;
  }
  return taken > 0 ? sum / taken : NAN;
}

std::string Cell(double value) {
  char text[32] = "";
  if (std::isfinite(value)) std::snprintf(text, sizeof(text), "%.17g", value);
  return text;
}

// Calls `value_of` with each row's run file (by run_id, next to table->source) and stores what
// it returns as the column `column`.
void AddRunFileColumn(
    FitTable* table, const std::string& column, const std::string& flag,
    const std::function<double(const RunFileReader&, const fs::path&)>& value_of) {
  const SourceLocation where{table->source, 0, 0};
  if (!table->Has("run_id")) {
    throw ConfigError(where,
                      flag + " reads the run files, by the run_id column; the table has none");
  }
  const ResultsDir results(fs::path(table->source).parent_path());
  const fs::path runs_dir = results.RunsDir();
  if (!fs::is_directory(runs_dir)) {
    throw ConfigError(where, flag + " reads each run's series from the run files, but " +
                                 runs_dir.string() +
                                 " does not exist (give the results folder written by "
                                 "`florenz run`)");
  }
  std::vector<std::string> cells;
  const std::vector<std::string>* status =
      table->Has("status") ? &table->cells.at("status") : nullptr;
  for (size_t row = 0; row < table->cells.at("run_id").size(); ++row) {
    const std::string& run_id = table->cells.at("run_id")[row];
    const fs::path file = results.RunFile(run_id);
    if (!fs::exists(file)) {
      throw ConfigError(SourceLocation{file.string(), 0, 0},
                        "the run file of '" + run_id + "' is missing (needed for " + flag + ")");
    }
    try {
      cells.push_back(Cell(value_of(RunFileReader::Open(file), file)));
    } catch (const ConfigError&) {
      // A run that did not complete may have stopped before its first evaluation: no value.
      if (status == nullptr || (*status)[row] == "completed") throw;
      cells.emplace_back();
    }
  }
  table->names.push_back(column);
  table->cells[column] = std::move(cells);
}

// The series of `metric` of `pair` in a run file, or a ConfigError naming what it has.
std::vector<double> SeriesOf(const RunFileReader& reader, const fs::path& file,
                             const std::string& pair, const std::string& metric) {
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
  return values->second;
}

// The pairs of a run whose kind (seen: trained, unseen: evaluation-only) and task match, from
// the coverage of the spec in its /config.
std::vector<std::string> PairsOfKind(const RunFileReader& reader, const fs::path& file, bool unseen,
                                     const std::string& task) {
  std::vector<std::string> pairs;
  const YAML::Node spec = YAML::Load(reader.spec_yaml());
  // data.coverage.<task>, if the spec has it (IsDefined first: a missing key is no node).
  YAML::Node languages;
  const YAML::Node data = spec.IsMap() ? spec["data"] : YAML::Node();
  const YAML::Node coverage = data.IsDefined() && data.IsMap() ? data["coverage"] : YAML::Node();
  if (coverage.IsDefined() && coverage.IsMap() && coverage[task].IsDefined()) {
    languages = coverage[task];
  }
  if (languages.IsDefined() && languages.IsMap()) {
    for (auto it = languages.begin(); it != languages.end(); ++it) {
      const bool eval = it->second.Scalar() == "eval";
      if (eval == unseen) pairs.push_back(task + "_" + it->first.Scalar());
    }
  }
  if (pairs.empty()) {
    throw ConfigError(SourceLocation{file.string(), 0, 0},
                      std::string("no ") + (unseen ? "unseen " : "seen ") + task +
                          " pair in the run's coverage (/config spec_yaml)");
  }
  return pairs;
}

}  // namespace

std::string AddEvalSeriesColumn(FitTable* table, const std::string& name, int last_k) {
  std::string pair, metric;
  const SourceLocation where{table->source, 0, 0};
  if (!ParseEvalSeriesName(name, &pair, &metric)) {
    throw ConfigError(where, "'" + name + "' is not /eval/<pair>/<metric>");
  }
  const std::string column =
      (last_k > 1 ? "last" + std::to_string(last_k) + "/" : "") + "eval/" + pair + "/" + metric;
  if (table->Has(column)) return column;
  AddRunFileColumn(table, column, "--y " + name,
                   [&](const RunFileReader& reader, const fs::path& file) {
                     return MeanOfLast(SeriesOf(reader, file, pair, metric), last_k);
                   });
  return column;
}

std::string AddSmoothedColumn(FitTable* table, const std::string& y, int last_k) {
  std::string pair, metric;
  if (ParseEvalSeriesName(y, &pair, &metric)) return AddEvalSeriesColumn(table, y, last_k);
  std::string name = y;
  if (name.rfind("final/", 0) == 0) name = name.substr(6);
  const std::string column = "last" + std::to_string(last_k) + "/" + name;
  if (table->Has(column)) return column;
  const std::string excl = "_excl_prefix";
  // cross_entropy[_excl_prefix]_<pair>: one pair's series.
  for (const std::string& series :
       {std::string("cross_entropy_excl_prefix"), std::string("cross_entropy")}) {
    if (name.rfind(series + "_", 0) != 0) continue;
    const std::string of = name.substr(series.size() + 1);
    AddRunFileColumn(table, column, "--smooth",
                     [&](const RunFileReader& reader, const fs::path& file) {
                       return MeanOfLast(SeriesOf(reader, file, of, series), last_k);
                     });
    return column;
  }
  // <seen|unseen>_<task>[_excl_prefix | _<generation metric>]: the mean over the kind's pairs
  // at each evaluation, then over the last K evaluations.
  const bool unseen = name.rfind("unseen_", 0) == 0;
  if (!unseen && name.rfind("seen_", 0) != 0) {
    throw ConfigError(SourceLocation{"--smooth", 0, 0},
                      "'" + y +
                          "' has no evaluation series to smooth: give /eval/<pair>/<metric>, "
                          "cross_entropy_<pair> or a seen_/unseen_ aggregate (seen_caption)");
  }
  std::string rest = name.substr(unseen ? 7 : 5);
  const size_t underscore = rest.find('_');
  const std::string task = rest.substr(0, underscore);
  std::string series = "cross_entropy";
  if (underscore != std::string::npos) {
    const std::string suffix = rest.substr(underscore + 1);
    series = suffix == "excl_prefix" ? "cross_entropy_excl_prefix" : suffix;
  }
  AddRunFileColumn(table, column, "--smooth",
                   [&](const RunFileReader& reader, const fs::path& file) {
                     std::vector<double> mean;
                     const std::vector<std::string> pairs = PairsOfKind(reader, file, unseen, task);
                     for (const std::string& p : pairs) {
                       const std::vector<double> values = SeriesOf(reader, file, p, series);
                       if (mean.empty()) mean.assign(values.size(), 0.0);
                       for (size_t t = 0; t < values.size() && t < mean.size(); ++t) {
                         mean[t] += values[t] / static_cast<double>(pairs.size());
                       }
                     }
                     return MeanOfLast(mean, last_k);
                   });
  return column;
}

}  // namespace florenz
