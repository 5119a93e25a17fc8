// RunSpec: one run of the grid (a size × a budget × a seed), fully resolved, with its stable
// id and its cost. The grid's resolved spec is shared by all its runs (one copy, however many
// runs: a grid of 100,000 runs stays small); Spec() makes the spec of this run alone — a grid
// of exactly this one run — for its /config in the results store, which loads back with the
// same code as any grid.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "experiments/experiment_spec.h"
#include "experiments/model_cost.h"

namespace florenz {

struct RunSpec {
  // "<size>-<budget>-s<seed>-<hash>", e.g. "m-80k-s0-3fa2c1d9"; the hash covers everything
  // that changes what the run computes (see run_id.h).
  std::string id;
  // The grid's resolved spec, shared with the grid's other runs. Everything but the axes
  // (model.sizes, training.budgets, experiment.seeds, include, exclude) is this run's.
  std::shared_ptr<const ExperimentSpec> grid;
  // This run's point on the axes. The size, one of grid->model.sizes, is resolved (no preset
  // lookups left) and carries its parallel layout.
  const ModelSize* model_size = nullptr;
  int64_t budget = 0;
  int64_t seed_value = 0;
  // Tensor- and data-parallel degrees; the run needs a gang of tp × dp ranks.
  int tp = 1;
  int dp = 1;
  // Analytic parameters and forward FLOPs (estimated sequence lengths).
  ModelCost cost;
  // Estimated training FLOPs: ≈ 3 × forward × samples.
  double training_flops = 0;
  // Budget branching (training.branching; experiments/branching.h). A trunk — the largest
  // budget of its (size, seed) — lists the runs it starts and the step at which it writes each
  // one's checkpoint; a branch names its trunk and the step it starts from (0: not a branch).
  std::vector<std::pair<std::string, int64_t>> branches;
  std::string trunk;
  int64_t branch_step = 0;
  // Its point on the grid's hyperparameter axes (grid_axis.h): (axis key, value), in the
  // grid's order; empty for a grid without axes. Recorded in the run's /config.
  std::vector<std::pair<std::string, std::string>> axis_values;

  // The grid's settings (data, model options, training, evaluation, execution).
  const ExperimentSpec& spec() const { return *grid; }
  const ModelSize& size() const { return *model_size; }
  int64_t samples() const { return budget; }
  // The training section as this run applies it (learning_rate_rule.h): its peak learning rate
  // and warm-up in samples resolved for its size. The trainer and the branch points use this.
  TrainingOptions Training() const;
  int64_t seed() const { return seed_value; }
  int ranks() const { return tp * dp; }
  // Samples this run trains itself: a branch only those after its branch point.
  int64_t TrainedSamples() const;
  // The spec of this run alone: model.sizes, training.budgets and experiment.seeds hold its
  // one entry each, include and exclude are empty.
  ExperimentSpec Spec() const;
};

}  // namespace florenz
