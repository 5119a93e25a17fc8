// Seed means (`florenz fit --target seed-mean`, docs/fitting.md, "Seed means"): a law is fitted
// to, and scored on, the mean over seeds of each cell — a (size, budget, point on the axes) —
// instead of every run. A seed changes nothing a law can explain, so the runs of one cell are
// not independent evidence about the law: averaging them fits the law to what it can predict,
// weighs every cell once however many seeds it has, and gives each cell a seed floor — the
// standard error of its mean, the part of a held-out error no law can remove.
#pragma once

#include <string>
#include <vector>

#include "fitting/fit_data.h"

namespace florenz {

// The cell means of `runs` (which must carry cells: a results table with config/size and
// config/samples), in the order of each cell's first run: x of that run (a ConfigError if the
// runs of a cell differ in x), y the arithmetic mean, compute the cell's, size and samples its,
// seeds the count, seed_floor sd / sqrt(n) / mean (NaN for one seed), label
// "<first run id without its seed and hash> (n seeds)". `notes` gets one line on the cells.
FitData SeedMeans(const FitData& runs, std::vector<std::string>* notes = nullptr);

// The label of a cell from the run id of one of its runs: "m-80k-s2-lr0.003-1a2b3c4d" ->
// "m-80k-lr0.003"; an id of another form is kept whole.
std::string CellLabel(const std::string& run_id);

}  // namespace florenz
