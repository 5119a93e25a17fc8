// The study report's view of a grid's hyperparameter axes (docs/fitting.md, "Hyperparameter
// axes"): for each model size and each value of an axis, the selection metric and the unseen
// captioning cross-entropy averaged over the size's (budget, seed) cells, and how often
// `--select best` chose that value — how sensitive each size is to the axis, and whether the
// best value moves with size.
#pragma once

#include <string>

#include "fitting/fit_input.h"
#include "fitting/report.h"

namespace florenz {

// `all` is the table before selection; `metric` the one the runs were selected by.
ReportSection SensitivitySection(const FitTable& all, const std::string& metric,
                                 const ReportContext& context);

}  // namespace florenz
