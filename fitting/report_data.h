// MetricRuns: the completed runs of a results table that have one final metric, with their model
// size N, samples D, compute C and size name: what each view of the study report plots and fits.
// A missing metric is not an error here: the report says in words which views it could not draw.
#pragma once

#include <string>
#include <vector>

#include "fitting/fit_data.h"
#include "fitting/fit_input.h"

namespace florenz {

struct MetricRuns {
  // The metric as asked for (e.g. "unseen_caption") and the column it was read from.
  std::string metric, column;
  // Why there are no runs, when there are none: the column is absent, or every value is
  // missing. Empty when size() > 0.
  std::string absent;
  // One entry per completed run with a finite value, ordered by (N, D).
  std::vector<std::string> run_id;
  std::vector<std::string> size_name;  // config/size, else "N=<value>"
  std::vector<double> n, d, c, value;
  // Completed runs left out because the metric is missing (NaN or empty) there.
  int missing = 0;

  int size() const { return static_cast<int>(value.size()); }
  bool empty() const { return value.empty(); }
  // The runs as fit points with variables `x` (each of "N", "D", "C"), source `source`.
  FitData ToFitData(const std::vector<std::string>& x, const std::string& source) const;
  // The runs i for which keep(i) holds, in order (metric, column and absent kept).
  template <typename Keep>
  MetricRuns Where(Keep keep) const {
    MetricRuns part;
    part.metric = metric, part.column = column, part.absent = absent;
    for (int i = 0; i < size(); ++i) {
      if (!keep(i)) continue;
      part.run_id.push_back(run_id[i]), part.size_name.push_back(size_name[i]);
      part.n.push_back(n[i]), part.d.push_back(d[i]), part.c.push_back(c[i]);
      part.value.push_back(value[i]);
    }
    return part;
  }
  // The distinct values of D, ascending (the sample budgets of the grid).
  std::vector<double> Budgets() const;
  // The distinct model sizes, ascending by N: (N, size name).
  std::vector<std::pair<double, std::string>> Sizes() const;
};

// The completed runs of `table` that have a finite `metric` (looked up as fit_input does:
// the exact column, then final/<metric>). N, D and C as in docs/fitting.md; `absent` says what
// is missing when no run qualifies (also when N, D or C cannot be formed).
MetricRuns SelectMetricRuns(const FitTable& table, const std::string& metric, ComputeUnit unit);

// Numbers as the report prints them: `digits` significant digits ("%.3g"), "-" for NaN.
std::string ReportNumber(double value, int digits = 3);
// A count with an SI suffix for labels: 5e4 -> "50k", 1.6e7 -> "16M", 2e9 -> "2G" (3 digits).
std::string ReportCount(double value);
// A p-value: "%.2g", "< 1e-16" below that, "-" for NaN.
std::string ReportPValue(double p);
// An interval "[low, high]" of ReportNumbers.
std::string ReportInterval(double low, double high, int digits = 3);
// A level as a percentage: 0.95 -> "95%".
std::string ReportPercent(double level);

}  // namespace florenz
