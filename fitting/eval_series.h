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
// row, the last value (with last_k > 1: the mean of the last last_k finite values, column
// "last<K>/eval/<pair>/<metric>") of /eval/<pair>/<metric> in runs/<run_id>.h5 next to table.source
// (empty when the series has no row or the value is NaN). Throws ConfigError when the table has no
// run_id column, the run files are not there (a CSV copied away from its folder), or a run file
// has no such pair or metric (with the ones it has, and a "did you mean"); IoError for a run
// file that cannot be read.
std::string AddEvalSeriesColumn(FitTable* table, const std::string& name, int last_k = 1);

// `florenz fit --smooth last:K` (docs/fitting.md, "Smoothing"): adds the column
// "last<K>/<y>" holding, per run, the mean of y over the run's last K evaluations, read from
// the run files, and returns its name. y is /eval/<pair>/<metric>; a pair's final
// cross-entropy cross_entropy[_excl_prefix]_<pair>; or an aggregate over the pairs of a kind,
// <seen|unseen>_<task>[_excl_prefix] or <seen|unseen>_<task>_<generation metric> (the kind of
// each pair from the run's own /config coverage). A run with fewer than K evaluations is
// averaged over those it has. Throws ConfigError for a y that has no series.
std::string AddSmoothedColumn(FitTable* table, const std::string& y, int last_k);

}  // namespace florenz
