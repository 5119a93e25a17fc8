// Reads the points of a fit from a florenz results folder, its results.h5, or any CSV with a
// header, and resolves the short names N, D and C (docs/fitting.md): the contract between the
// trainer, which writes config attributes, and `florenz fit`, which reads them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "fitting/fit_data.h"

namespace florenz {

// How the compute C of a run is counted.
enum class ComputeUnit {
  kFlops,  // training FLOPs: C = 3 · config/flops_per_sample · config/samples (fwd + bwd)
  kMacs,   // the Florenz paper's forward multiply-accumulates: C = flops_per_sample / 2 · samples
};
std::string ToString(ComputeUnit unit);
// "flops" or "macs"; throws ConfigError otherwise.
ComputeUnit ComputeUnitFromString(const std::string& text);

struct FitInputOptions {
  // A results folder (reads DIR/results.h5), a results.h5, or a .csv file with a header.
  std::string path;
  // Explanatory variables: column names, or the short names N, D, C. Default {"N", "D"}.
  std::vector<std::string> x = {"N", "D"};
  // The response: a column name, a metric name m read as final/m, or an evaluation series
  // /eval/<pair>/<metric> (its final value per run, from the run files). Default "loss".
  std::string y = "loss";
  // Row filters "column=value" (short names and final/, config/ prefixes resolve as for x);
  // a row is kept if every filter matches (numbers compare as numbers, text as text).
  // Without a filter on `status`, only rows whose status is "completed" are kept (when the
  // table has a status column).
  std::vector<std::string> where;
  ComputeUnit compute = ComputeUnit::kFlops;
  // Per-cell selection over hyperparameter axes (run_selection.h): a metric keeps, of each
  // (size, budget, seed) cell, the run lowest in it, before the filters; "" keeps every run.
  std::string select_metric;
  // --smooth last:K: y is the mean of each run's last K evaluations (eval_series.h,
  // AddSmoothedColumn) instead of its final value; 1 = the final value.
  int smooth_last = 1;
  // --target seed-mean: fit the mean of each cell over its seeds (seed_mean.h) instead of
  // every run.
  bool seed_mean = false;
};

// A table of text cells by column name, as read (numbers from HDF5 are printed exactly).
struct FitTable {
  std::string source;                                     // the file read
  std::vector<std::string> names;                         // column names in file order
  std::map<std::string, std::vector<std::string>> cells;  // column -> one cell per row
  int rows = 0;

  bool Has(const std::string& column) const { return cells.count(column) > 0; }
};

// Reads a results.h5 (or a folder holding one) or a CSV. Throws ConfigError for a missing file,
// an unreadable CSV (naming file and line) and IoError for a broken HDF5 file.
FitTable ReadFitTable(const std::string& path);

// The rows of `table` selected by options.where, as FitData with x = options.x, y = options.y,
// labels from run_id (when present) and compute (when C can be formed). Throws ConfigError
// naming the file and the column for an unknown column or an unparsable number.
// Bad values (non-positive, NaN) are left for CheckFitData to report with the row.
FitData SelectFitData(const FitTable& table, const FitInputOptions& options,
                      std::vector<std::string>* notes = nullptr);

// ReadFitTable then SelectFitData. A y of the form /eval/<pair>/<metric> that is not a column
// of the table is read from the run files next to it: the final value of that series in each
// run (fitting/eval_series.h).
FitData LoadFitData(const FitInputOptions& options, std::vector<std::string>* notes = nullptr);

}  // namespace florenz
