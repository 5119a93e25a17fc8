// Expansion of a validated grid into its runs: sizes × budgets × seeds, plus `include`,
// minus `exclude`, each run resolved into a RunSpec with a stable id and its cost.
#pragma once

#include <vector>

#include "experiments/experiment_spec.h"
#include "experiments/run_spec.h"

namespace florenz {

// Runs of the grid in table order: size (as listed), then budget (ascending), then seed;
// included runs follow. Runs named twice appear once. `spec` must have passed
// ResolveAndValidate.
std::vector<RunSpec> ExpandGrid(const ExperimentSpec& spec);

// The run of `spec` with this size, budget and seed, resolved.
RunSpec MakeRun(const ExperimentSpec& spec, const ModelSize& size, int64_t budget, int64_t seed);

}  // namespace florenz
