// Whether a results folder holds the experiment being run. A grid may grow or shrink along its
// axes (sizes, budgets, seeds, include / exclude) and change how it runs (parallel layout,
// execution options, the description) on the same `--out`: new runs are scheduled, finished
// ones skipped, removed ones left on disk. Anything else — data, model options, training
// hyperparameters, evaluation — makes it another experiment.
#pragma once

#include <string>

#include "experiments/experiment_spec.h"

namespace florenz {

// Empty when `stored` and `current` are the same experiment up to the axes above; else the
// top-level sections that differ, e.g. "data, training".
std::string ExperimentDifference(const ExperimentSpec& stored, const ExperimentSpec& current);

}  // namespace florenz
