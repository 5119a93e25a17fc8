// Per-pair evaluation series as fit columns: `florenz fit --y /eval/<task>_<lang>/<metric>` fits
// the final value of that series in each run. results.h5 holds only /final scalars, so the
// values are read from the run files (DIR/runs/<run_id>.h5) beside the results table.
#pragma once

#include <string>

#include "fitting/fit_input.h"

namespace florenz {

// True when `name` has the form "/eval/<pair>/<metric>" or "eval/<pair>/<metric>" (pair and
// metric non-empty, no further '/'); sets *pair and *metric.
bool ParseEvalSeriesName(const std::string& name, std::string* pair, std::string* metric);

// Adds the column "eval/<pair>/<metric>" to `table` (if absent) and returns its name: for each
// row, the last value of /eval/<pair>/<metric> in runs/<run_id>.h5 next to table.source (empty
// when the series has no row or the value is NaN). Throws ConfigError when the table has no
// run_id column, the run files are not there (a CSV copied away from its folder), or a run file
// has no such pair or metric (with the ones it has, and a "did you mean"); IoError for a run
// file that cannot be read.
std::string AddEvalSeriesColumn(FitTable* table, const std::string& name);

}  // namespace florenz
