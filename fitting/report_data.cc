// Selecting the runs of one metric for the study report (see report_data.h), on top of
// fit_input's column resolution so the report and `florenz fit` read a table the same way.
#include "fitting/report_data.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <set>

#include "core/errors.h"

namespace florenz {

FitData MetricRuns::ToFitData(const std::vector<std::string>& x, const std::string& source) const {
  FitData data;
  data.source = source;
  data.x_names = x;
  data.y_name = metric;
  for (const std::string& name : x) {
    data.x.push_back(name == "N" ? n : (name == "D" ? d : c));
  }
  data.y = value;
  data.compute = c;
  data.labels = run_id;
  return data;
}

std::vector<double> MetricRuns::Budgets() const {
  const std::set<double> unique(d.begin(), d.end());
  return {unique.begin(), unique.end()};
}

std::vector<std::pair<double, std::string>> MetricRuns::Sizes() const {
  std::map<double, std::string> unique;
  for (int i = 0; i < size(); ++i) unique.emplace(n[i], size_name[i]);
  return {unique.begin(), unique.end()};
}

MetricRuns SelectMetricRuns(const FitTable& table, const std::string& metric, ComputeUnit unit) {
  MetricRuns runs;
  runs.metric = metric;
  runs.column = table.Has(metric) ? metric : "final/" + metric;
  if (!table.Has(runs.column)) {
    runs.absent = "no run recorded the metric '" + metric + "' (no column final/" + metric + ")";
    return runs;
  }
  FitInputOptions options;
  options.x = {"N", "D", "C"};
  options.y = runs.column;
  options.compute = unit;
  FitData data;
  try {
    data = SelectFitData(table, options);
  } catch (const ConfigError& e) {
    // N, D or C cannot be formed, or no completed run: the view cannot be drawn; say why.
    runs.absent = e.what();
    return runs;
  }
  // The size name of each label (run_id, or "row K" as SelectFitData labels rows without one).
  std::map<std::string, std::string> size_of;
  if (table.Has("config/size")) {
    const auto& sizes = table.cells.at("config/size");
    for (int i = 0; i < table.rows; ++i) {
      const std::string label =
          table.Has("run_id") ? table.cells.at("run_id")[i] : "row " + std::to_string(i + 1);
      size_of[label] = sizes[i];
    }
  }
  std::vector<int> keep;
  for (int i = 0; i < data.size(); ++i) {
    if (std::isfinite(data.y[i])) {
      keep.push_back(i);
    } else {
      ++runs.missing;
    }
  }
  std::stable_sort(keep.begin(), keep.end(), [&](int a, int b) {
    return data.x[0][a] != data.x[0][b] ? data.x[0][a] < data.x[0][b] : data.x[1][a] < data.x[1][b];
  });
  for (const int i : keep) {
    runs.run_id.push_back(data.labels[i]);
    runs.n.push_back(data.x[0][i]);
    runs.d.push_back(data.x[1][i]);
    runs.c.push_back(data.x[2][i]);
    runs.value.push_back(data.y[i]);
    auto name = size_of.find(data.labels[i]);
    if (name != size_of.end() && !name->second.empty()) {
      runs.size_name.push_back(name->second);
    } else {
      char text[32];
      std::snprintf(text, sizeof(text), "N = %.3g", data.x[0][i]);
      runs.size_name.push_back(text);
    }
  }
  if (runs.empty()) {
    runs.absent = "the metric '" + metric + "' is missing (NaN) in all " +
                  std::to_string(runs.missing) + " completed runs";
  }
  return runs;
}

std::string ReportNumber(double value, int digits) {
  if (std::isnan(value)) return "-";
  char text[32];
  std::snprintf(text, sizeof(text), "%.*g", digits, value);
  return text;
}

std::string ReportCount(double value) {
  if (std::isnan(value)) return "-";
  const char* suffixes[] = {"", "k", "M", "G", "T", "P"};
  int k = 0;
  while (k < 5 && std::abs(value) >= 1000) {
    value /= 1000;
    ++k;
  }
  return ReportNumber(value, 3) + suffixes[k];
}

std::string ReportPValue(double p) {
  if (std::isnan(p)) return "-";
  if (p < 1e-16) return "< 1e-16";
  return ReportNumber(p, 2);
}

std::string ReportInterval(double low, double high, int digits) {
  return "[" + ReportNumber(low, digits) + ", " + ReportNumber(high, digits) + "]";
}

std::string ReportPercent(double level) { return ReportNumber(100.0 * level, 3) + "%"; }

}  // namespace florenz
