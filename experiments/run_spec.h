// RunSpec: one run of the grid (a size × a budget × a seed), fully resolved, with its stable
// id and its cost. Its `spec` is itself a grid of exactly this one run, so a run's /config in
// the results store can be loaded back with the same code as any grid.
#pragma once

#include <cstdint>
#include <string>

#include "experiments/experiment_spec.h"
#include "experiments/model_cost.h"

namespace florenz {

struct RunSpec {
  // "<size>-<budget>-s<seed>-<hash>", e.g. "m-80k-s0-3fa2c1d9"; the hash covers everything
  // that changes what the run computes (see run_id.h).
  std::string id;
  // This run only: model.sizes, training.budgets and experiment.seeds hold one entry each;
  // the size is resolved (no preset lookups left) and carries its parallel layout.
  ExperimentSpec spec;
  // Tensor- and data-parallel degrees; the run needs a gang of tp × dp ranks.
  int tp = 1;
  int dp = 1;
  // Analytic parameters and forward FLOPs (estimated sequence lengths).
  ModelCost cost;
  // Estimated training FLOPs: ≈ 3 × forward × samples.
  double training_flops = 0;

  const ModelSize& size() const { return spec.model.sizes.front(); }
  int64_t samples() const { return spec.training.budgets.front(); }
  int64_t seed() const { return spec.experiment.seeds.front(); }
  int ranks() const { return tp * dp; }
};

}  // namespace florenz
