// Expansion of a validated grid into its runs: sizes × budgets × seeds, plus `include`,
// minus `exclude`, each run resolved into a RunSpec with a stable id and its cost.
#pragma once

#include <cstdint>
#include <vector>

#include "experiments/experiment_spec.h"
#include "experiments/run_spec.h"

namespace florenz {

// Runs of the grid in table order: size (as listed), then budget (ascending), then seed;
// included runs follow. Runs named twice appear once. A grid with hyperparameter axes
// (grid_axes.h) repeats this once per combination of axis values, the last axis fastest.
// `spec` must have passed ResolveAndValidate.
std::vector<RunSpec> ExpandGrid(const ExperimentSpec& spec);

// Runs sizes × budgets × seeds plus the includes would give, before exclusions and duplicates:
// what expansion would hold, known without expanding.
int64_t GridRunCount(const ExperimentSpec& spec);

// The most runs one grid may expand to (grid-spec.md). A larger grid is refused at loading:
// its run table alone would take gigabytes, and no cluster runs that many in one study.
constexpr int64_t kMaxGridRuns = 1000000;

}  // namespace florenz
