// Grid expansion (see grid_expansion.h).
#include "experiments/grid_expansion.h"

#include <algorithm>
#include <set>

#include "experiments/run_id.h"

namespace florenz {
namespace {

bool Matches(const RunSelector& selector, const ModelSize& size, int64_t budget, int64_t seed) {
  return (selector.size.empty() || selector.size == size.name) &&
         (selector.budget == 0 || selector.budget == budget) &&
         (selector.seed < 0 || selector.seed == seed);
}

bool Excluded(const ExperimentSpec& spec, const ModelSize& size, int64_t budget, int64_t seed) {
  return std::any_of(spec.exclude.begin(), spec.exclude.end(),
                     [&](const RunSelector& s) { return Matches(s, size, budget, seed); });
}

}  // namespace

RunSpec MakeRun(const ExperimentSpec& spec, const ModelSize& size, int64_t budget, int64_t seed) {
  RunSpec run;
  run.spec = spec;
  run.spec.model.sizes = {size};
  run.spec.training.budgets = {budget};
  run.spec.experiment.seeds = {seed};
  run.spec.include.clear();
  run.spec.exclude.clear();
  run.tp = size.tensor_parallel;
  run.dp = size.data_parallel;
  run.id = MakeRunId(run.spec);
  run.cost = ComputeModelCost(size, spec.model, EstimateSequenceShape(spec.data, spec.model));
  run.training_flops = TrainingFlops(run.cost, budget);
  return run;
}

std::vector<RunSpec> ExpandGrid(const ExperimentSpec& spec) {
  std::vector<RunSpec> runs;
  std::set<std::string> ids;
  auto add = [&](const ModelSize& size, int64_t budget, int64_t seed) {
    RunSpec run = MakeRun(spec, size, budget, seed);
    if (ids.insert(run.id).second) runs.push_back(std::move(run));
  };
  std::vector<int64_t> budgets = spec.training.budgets;
  std::sort(budgets.begin(), budgets.end());
  for (const auto& size : spec.model.sizes) {
    for (const int64_t budget : budgets) {
      for (const int64_t seed : spec.experiment.seeds) {
        if (!Excluded(spec, size, budget, seed)) add(size, budget, seed);
      }
    }
  }
  for (const auto& selector : spec.include) {
    for (const auto& size : spec.model.sizes) {
      if (size.name != selector.size) continue;
      const int64_t seed = selector.seed >= 0 ? selector.seed : spec.experiment.seeds.front();
      add(size, selector.budget, seed);
    }
  }
  return runs;
}

}  // namespace florenz
