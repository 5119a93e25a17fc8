// Grid expansion (see grid_expansion.h).
#include "experiments/grid_expansion.h"

#include <algorithm>
#include <memory>
#include <set>

#include "experiments/branching.h"
#include "experiments/grid_axes.h"
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

// The grid's spec with its axes cleared: what every one-run spec starts from (cheap to copy,
// however many seeds, sizes or budgets the grid lists).
ExperimentSpec WithoutAxes(const ExperimentSpec& spec) {
  ExperimentSpec base = spec;
  base.model.sizes.clear();
  base.training.budgets.clear();
  base.experiment.seeds.clear();
  base.include.clear();
  base.exclude.clear();
  base.axes.clear();
  return base;
}

ExperimentSpec OneRun(ExperimentSpec base, const ModelSize& size, int64_t budget, int64_t seed) {
  base.model.sizes = {size};
  base.training.budgets = {budget};
  base.experiment.seeds = {seed};
  return base;
}

RunSpec MakeRun(const std::shared_ptr<const ExperimentSpec>& grid, const ExperimentSpec& base,
                const ModelSize& size, int64_t budget, int64_t seed, const std::string& tag) {
  RunSpec run;
  run.grid = grid;
  run.model_size = size;
  run.budget = budget;
  run.seed_value = seed;
  run.tp = size.tensor_parallel;
  run.dp = size.data_parallel;
  run.id = MakeRunId(OneRun(base, size, budget, seed), tag);
  run.cost = ComputeModelCost(size, grid->model, EstimateSequenceShape(grid->data, grid->model));
  run.training_flops = TrainingFlops(run.cost, budget);
  return run;
}

}  // namespace

ExperimentSpec RunSpec::Spec() const {
  return OneRun(WithoutAxes(*grid), model_size, budget, seed_value);
}

RunSpec MakeRun(const ExperimentSpec& spec, const ModelSize& size, int64_t budget, int64_t seed) {
  return MakeRun(std::make_shared<const ExperimentSpec>(spec), WithoutAxes(spec), size, budget,
                 seed, "");
}

int64_t GridRunCount(const ExperimentSpec& spec) {
  return (static_cast<int64_t>(spec.model.sizes.size()) *
              static_cast<int64_t>(spec.training.budgets.size()) *
              static_cast<int64_t>(spec.experiment.seeds.size()) +
          static_cast<int64_t>(spec.include.size() * spec.model.sizes.size())) *
         AxisCombinations(spec.axes);
}

namespace {

// The runs of a grid without axes (or of one point of them), appended to `runs`; `tag` is the
// point's part of the run ids, `point` its (axis key, value) pairs.
void ExpandPoint(const ExperimentSpec& spec, const std::string& tag,
                 const std::vector<std::pair<std::string, std::string>>& point,
                 std::set<std::string>& ids, std::vector<RunSpec>& runs) {
  const auto grid = std::make_shared<const ExperimentSpec>(spec);
  const ExperimentSpec base = WithoutAxes(spec);
  std::vector<RunSpec> added;
  auto add = [&](const ModelSize& size, int64_t budget, int64_t seed) {
    RunSpec run = MakeRun(grid, base, size, budget, seed, tag);
    run.axis_values = point;
    if (ids.insert(run.id).second) added.push_back(std::move(run));
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
  LinkBranches(added);  // a trunk per (size, seed) at each point of the axes
  for (RunSpec& run : added) runs.push_back(std::move(run));
}

}  // namespace

std::vector<RunSpec> ExpandGrid(const ExperimentSpec& spec) {
  std::vector<RunSpec> runs;
  runs.reserve(static_cast<size_t>(std::max<int64_t>(0, GridRunCount(spec))));
  std::set<std::string> ids;
  if (spec.axes.empty()) {
    ExpandPoint(spec, "", {}, ids, runs);
    return runs;
  }
  const int64_t combinations = AxisCombinations(spec.axes);
  for (int64_t c = 0; c < combinations; ++c) {
    const std::vector<size_t> point = AxisPoint(spec.axes, c);
    std::vector<std::pair<std::string, std::string>> values;
    for (size_t a = 0; a < spec.axes.size(); ++a) {
      values.emplace_back(spec.axes[a].key, spec.axes[a].values[point[a]]);
    }
    ExpandPoint(AtAxisPoint(spec, point), AxisIdTag(spec.axes, point), values, ids, runs);
  }
  return runs;
}

}  // namespace florenz
