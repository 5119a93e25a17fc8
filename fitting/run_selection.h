// Per-cell selection over a grid's hyperparameter axes (`florenz fit --select best:METRIC`,
// `florenz report --select`; docs/fitting.md): of the runs of each (size, budget, seed) cell —
// one per learning rate, say — keep the one with the lowest METRIC, and fit on those. The
// default METRIC is the seen captioning cross-entropy, so the unseen pairs' own numbers never
// choose the hyperparameters of the runs that predict them.
#pragma once

#include <string>
#include <vector>

#include "fitting/fit_input.h"

namespace florenz {

// The metric of `--select best` without one.
inline constexpr char kDefaultSelectMetric[] = "seen_caption";

// "--select" text: "" or "all" -> "" (every run); "best" -> kDefaultSelectMetric;
// "best:METRIC" -> METRIC. Throws ConfigError at "--select" otherwise.
std::string ParseSelect(const std::string& text);

// The column a metric is read from: `metric` itself, else final/<metric>; "" if neither.
std::string MetricColumnOf(const FitTable& table, const std::string& metric);

// The hyperparameter axes the table's runs were trained over (config/axes, written by the
// trainer for a grid with axes): their keys, or none.
std::vector<std::string> TableAxes(const FitTable& table);

// The rows of `table` that are, for their (config/size, config/samples, config/seed) cell, the
// completed run with the lowest finite `metric` (a column, or final/<metric>). A tie goes to
// the run whose run_id sorts first. Cells without such a run are left out. Rows keep their
// order; `notes` says what was kept, left out, and tied. Throws ConfigError naming the file
// for a missing metric or cell column.
FitTable SelectBestRuns(const FitTable& table, const std::string& metric,
                        std::vector<std::string>* notes = nullptr);

}  // namespace florenz
