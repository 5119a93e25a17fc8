// Grid expansion (see grid_expansion.h).
#include "experiments/grid_expansion.h"

#include <algorithm>
#include <cstdint>
#include <memory>

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

}  // namespace

ExperimentSpec RunSpec::Spec() const {
  return OneRun(WithoutAxes(*grid), *model_size, budget, seed_value);
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
// point's part of the run ids, `point` its (axis key, value) pairs. Per size, the cost and the
// id maker are made once (a grid of 1,000,000 runs has a few sizes); a run whose id the point
// already has (an `include` of a grid point) is left out.
void ExpandPoint(const ExperimentSpec& spec, const std::string& tag,
                 const std::vector<std::pair<std::string, std::string>>& point,
                 std::vector<RunSpec>& runs) {
  const auto grid = std::make_shared<const ExperimentSpec>(spec);
  const ExperimentSpec base = WithoutAxes(spec);
  const SequenceShape shape = EstimateSequenceShape(grid->data, grid->model);
  struct PerSize {
    ModelCost cost;
    std::unique_ptr<RunIdMaker> ids;
  };
  std::vector<PerSize> per_size(spec.model.sizes.size());
  const size_t first = runs.size();
  auto add = [&](size_t s, int64_t budget, int64_t seed) {
    const ModelSize& size = spec.model.sizes[s];
    PerSize& known = per_size[s];
    if (!known.ids) {
      known.cost = ComputeModelCost(size, grid->model, shape);
      known.ids = std::make_unique<RunIdMaker>(OneRun(base, size, budget, seed), tag);
    }
    RunSpec& run = runs.emplace_back();
    run.grid = grid;
    run.model_size = &grid->model.sizes[s];
    run.budget = budget;
    run.seed_value = seed;
    run.tp = size.tensor_parallel;
    run.dp = size.data_parallel;
    run.id = known.ids->Id(budget, seed);
    run.cost = known.cost;
    run.training_flops = TrainingFlops(run.cost, budget);
    run.axis_values = point;
  };
  std::vector<int64_t> budgets = spec.training.budgets;
  std::sort(budgets.begin(), budgets.end());
  for (size_t s = 0; s < spec.model.sizes.size(); ++s) {
    for (const int64_t budget : budgets) {
      for (const int64_t seed : spec.experiment.seeds) {
        if (!Excluded(spec, spec.model.sizes[s], budget, seed)) add(s, budget, seed);
      }
    }
  }
  for (const auto& selector : spec.include) {
    for (size_t s = 0; s < spec.model.sizes.size(); ++s) {
      if (spec.model.sizes[s].name != selector.size) continue;
      const int64_t seed = selector.seed >= 0 ? selector.seed : spec.experiment.seeds.front();
      add(s, selector.budget, seed);
    }
  }
  // Later copies of an id go, the first stays where it is (4 bytes a run while sorting).
  std::vector<uint32_t> order(runs.size() - first);
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const int c = runs[first + a].id.compare(runs[first + b].id);
    return c < 0 || (c == 0 && a < b);
  });
  std::vector<bool> duplicate(order.size(), false);
  bool any = false;
  for (size_t k = 1; k < order.size(); ++k) {
    if (runs[first + order[k]].id == runs[first + order[k - 1]].id) {
      duplicate[order[k]] = true;
      any = true;
    }
  }
  if (any) {
    size_t kept = first;
    for (size_t i = first; i < runs.size(); ++i) {
      if (duplicate[i - first]) continue;
      if (kept != i) runs[kept] = std::move(runs[i]);
      ++kept;
    }
    runs.erase(runs.begin() + static_cast<std::ptrdiff_t>(kept), runs.end());
  }
  LinkBranches(runs.data() + first, runs.data() + runs.size());  // a trunk per (size, seed)
}

}  // namespace

std::vector<RunSpec> ExpandGrid(const ExperimentSpec& spec) {
  std::vector<RunSpec> runs;
  runs.reserve(static_cast<size_t>(std::max<int64_t>(0, GridRunCount(spec))));
  if (spec.axes.empty()) {
    ExpandPoint(spec, "", {}, runs);
    return runs;
  }
  const int64_t combinations = AxisCombinations(spec.axes);
  for (int64_t c = 0; c < combinations; ++c) {
    const std::vector<size_t> point = AxisPoint(spec.axes, c);
    std::vector<std::pair<std::string, std::string>> values;
    for (size_t a = 0; a < spec.axes.size(); ++a) {
      values.emplace_back(spec.axes[a].key, spec.axes[a].values[point[a]]);
    }
    ExpandPoint(AtAxisPoint(spec, point), AxisIdTag(spec.axes, point), values, runs);
  }
  return runs;
}

}  // namespace florenz
