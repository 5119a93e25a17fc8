// Hyperparameter axes (experiments/grid_axes.h): a list under training.optimizer or
// training.schedule expands like sizes and budgets, into stable ids that carry the value;
// include/exclude name it; every value is validated at its line; experiment.yaml keeps it.
#include "experiments/grid_axes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "experiments/grid_loader.h"
#include "experiments/spec_writer.h"
#include "orchestrator/experiment_identity.h"
#include "tests/experiments/grid_test_util.h"

namespace florenz {
namespace {

using ::testing::HasSubstr;
using testing::LoadError;
using testing::SmallGridWith;

// kSmallGrid (2 sizes × 2 budgets × 1 seed) with a learning-rate axis of three values.
std::string AxisGrid(const std::string& extra = "") {
  return SmallGridWith("  optimizer: {learning_rate: 1.0e-3}\n",
                       "  optimizer: {learning_rate: [1.0e-3, 3e-3, 0.0003]}\n") +
         extra;
}

TEST(GridAxesTest, AListExpandsLikeAnAxisWithTheValueInTheRunIds) {
  const LoadedGrid grid = LoadGridFromString(AxisGrid(), "axes.yaml");
  ASSERT_EQ(grid.spec.axes.size(), 1u);
  EXPECT_EQ(grid.spec.axes[0].path, "training.optimizer.learning_rate");
  EXPECT_EQ(grid.spec.axes[0].values, (std::vector<std::string>{"0.001", "0.003", "0.0003"}));
  ASSERT_EQ(grid.runs.size(), 12u);  // 2 sizes × 2 budgets × 3 values
  // Table order: the grid at each value in turn, in the list's order.
  EXPECT_THAT(grid.runs[0].id, ::testing::StartsWith("xs-10k-s0-lr0.001-"));
  EXPECT_THAT(grid.runs[4].id, ::testing::StartsWith("xs-10k-s0-lr0.003-"));
  EXPECT_THAT(grid.runs[11].id, ::testing::StartsWith("s-20k-s0-lr0.0003-"));
  std::set<std::string> ids;
  for (const RunSpec& run : grid.runs) {
    ids.insert(run.id);
    // Each run trains at its value, and its own spec (its /config) holds it as a scalar.
    const double lr = run.spec().training.optimizer.learning_rate;
    EXPECT_EQ(run.Spec().training.optimizer.learning_rate, lr);
    EXPECT_TRUE(run.Spec().axes.empty());
    ASSERT_EQ(run.axis_values.size(), 1u);
    EXPECT_EQ(run.axis_values[0].first, "learning_rate");
    EXPECT_EQ(std::stod(run.axis_values[0].second), lr);
  }
  EXPECT_EQ(ids.size(), 12u);
}

TEST(GridAxesTest, IdsAreStableAndHashTheSameSpecAsAGridWithoutTheAxis) {
  const LoadedGrid with_axis = LoadGridFromString(AxisGrid(), "axes.yaml");
  const LoadedGrid again = LoadGridFromString(AxisGrid(), "axes.yaml");
  for (size_t i = 0; i < with_axis.runs.size(); ++i) {
    EXPECT_EQ(with_axis.runs[i].id, again.runs[i].id);
  }
  // The scalar grid at 3e-3: the same hash, without the value's tag.
  const LoadedGrid scalar = LoadGridFromString(
      SmallGridWith("learning_rate: 1.0e-3", "learning_rate: 0.003"), "scalar.yaml");
  for (const RunSpec& run : scalar.runs) {
    const std::string hash = run.id.substr(run.id.size() - 8);
    const std::string prefix = run.id.substr(0, run.id.size() - 8);
    bool found = false;
    for (const RunSpec& tagged : with_axis.runs) {
      found |= tagged.id == prefix + "lr0.003-" + hash;
    }
    EXPECT_TRUE(found) << run.id;
  }
}

TEST(GridAxesTest, IncludeAndExcludeNameTheAxis) {
  const LoadedGrid grid =
      LoadGridFromString(AxisGrid("exclude:\n"
                                  "  - {size: s, learning_rate: 3.0e-3}\n"
                                  "  - {learning_rate: 0.0003, budget: 20k}\n"
                                  "include:\n"
                                  "  - {size: xs, budget: 40k, learning_rate: 0.001}\n"
                                  "  - {size: s, budget: 5k}\n"),
                         "axes.yaml");
  std::set<std::string> runs;
  for (const RunSpec& run : grid.runs) {
    runs.insert(run.size().name + "-" + std::to_string(run.samples()) + "-" +
                run.axis_values[0].second);
  }
  EXPECT_EQ(runs, (std::set<std::string>{
                      // 0.001: the whole grid, the include at 40k, the value-free include
                      "xs-10000-0.001", "xs-20000-0.001", "s-10000-0.001", "s-20000-0.001",
                      "xs-40000-0.001", "s-5000-0.001",
                      // 0.003: without s
                      "xs-10000-0.003", "xs-20000-0.003", "s-5000-0.003",
                      // 0.0003: without 20k
                      "xs-10000-0.0003", "s-10000-0.0003", "s-5000-0.0003"}));
}

TEST(GridAxesTest, EveryValueIsCheckedAtItsLine) {
  // Line 16 holds the list; columns point at the value ("  optimizer: {learning_rate: [1e-3, "
  // puts the second value at column 37).
  EXPECT_THAT(LoadError(SmallGridWith("learning_rate: 1.0e-3", "learning_rate: [1e-3, abc]")),
              HasSubstr("bad.yaml:16:37: training.optimizer.learning_rate: expected a finite "
                        "number, got 'abc'"));
  EXPECT_THAT(
      LoadError(SmallGridWith("learning_rate: 1.0e-3", "learning_rate: [1e-3, -1]")),
      HasSubstr("bad.yaml:16:37: training.optimizer.learning_rate: must be in (0, 10), got -1"));
  EXPECT_THAT(LoadError(SmallGridWith("learning_rate: 1.0e-3", "learning_rate: [1e-3, 0.001]")),
              HasSubstr("bad.yaml:16:37: training.optimizer.learning_rate: 0.001 is listed twice"));
  EXPECT_THAT(LoadError(SmallGridWith("learning_rate: 1.0e-3", "learning_rate: []")),
              HasSubstr("bad.yaml:16:30: training.optimizer.learning_rate: an empty list"));
  EXPECT_THAT(LoadError(SmallGridWith("learning_rate: 1.0e-3", "learning_rate: [[1e-3]]")),
              HasSubstr("not a scalar"));
  // An exclude naming a value the axis does not have.
  EXPECT_THAT(LoadError(AxisGrid("exclude:\n  - {size: s, learning_rate: 5e-3}\n")),
              HasSubstr("bad.yaml:18:30: exclude[0].learning_rate: 0.005 is not a value of the "
                        "axis training.optimizer.learning_rate (0.001, 0.003, 0.0003)"));
  // Outside training.optimizer and training.schedule a list is still a type error.
  EXPECT_THAT(LoadError(SmallGridWith("batch_size: 64", "batch_size: [32, 64]")),
              HasSubstr("bad.yaml:15:15: training.batch_size: expected an integer, got a list"));
}

TEST(GridAxesTest, ScheduleScalarsAreAxesAndAxesCombine) {
  const LoadedGrid grid = LoadGridFromString(
      AxisGrid() + "  schedule: {kind: [cosine, wsd], warmup_fraction: 0.05}\n", "axes.yaml");
  ASSERT_EQ(grid.spec.axes.size(), 2u);
  EXPECT_EQ(grid.runs.size(), 24u);  // 4 runs × 3 rates × 2 kinds, the last axis fastest
  EXPECT_THAT(grid.runs[0].id, ::testing::StartsWith("xs-10k-s0-lr0.001-cosine-"));
  EXPECT_THAT(grid.runs[4].id, ::testing::StartsWith("xs-10k-s0-lr0.001-wsd-"));
  EXPECT_THAT(grid.runs[8].id, ::testing::StartsWith("xs-10k-s0-lr0.003-cosine-"));
  EXPECT_EQ(grid.runs[0].spec().training.schedule.kind, ScheduleKind::kCosine);
  EXPECT_EQ(grid.runs[4].spec().training.schedule.kind, ScheduleKind::kWsd);
}

TEST(GridAxesTest, ExperimentYamlKeepsTheAxesAndLoadsBackToTheSameRuns) {
  const LoadedGrid grid =
      LoadGridFromString(AxisGrid("exclude:\n  - {size: s, learning_rate: 3e-3}\n"), "axes.yaml");
  const std::string yaml = SpecToYaml(grid.spec);
  EXPECT_THAT(yaml, HasSubstr("learning_rate: [0.001, 0.003, 0.0003]"));
  const LoadedGrid again = LoadGridFromString(yaml, "experiment.yaml");
  ASSERT_EQ(again.runs.size(), grid.runs.size());
  for (size_t i = 0; i < grid.runs.size(); ++i) EXPECT_EQ(again.runs[i].id, grid.runs[i].id);
  EXPECT_EQ(SpecToYaml(again.spec), yaml);
}

TEST(GridAxesTest, AGrowingAxisIsTheSameExperimentAnotherSettingIsNot) {
  const LoadedGrid grid = LoadGridFromString(AxisGrid(), "axes.yaml");
  const LoadedGrid grown = LoadGridFromString(
      SmallGridWith("  optimizer: {learning_rate: 1.0e-3}\n",
                    "  optimizer: {learning_rate: [3e-3, 1.0e-3, 0.0003, 1e-2]}\n"),
      "grown.yaml");
  EXPECT_EQ(ExperimentDifference(grid.spec, grown.spec), "");
  const LoadedGrid other = LoadGridFromString(
      SmallGridWith("  optimizer: {learning_rate: 1.0e-3}\n",
                    "  optimizer: {learning_rate: [1.0e-3, 3e-3], weight_decay: 0.1}\n"),
      "other.yaml");
  EXPECT_EQ(ExperimentDifference(grid.spec, other.spec), "training");
}

TEST(GridAxesTest, BranchingHasATrunkPerSizeSeedAndValue) {
  const LoadedGrid grid =
      LoadGridFromString(SmallGridWith("  optimizer: {learning_rate: 1.0e-3}\n",
                                       "  optimizer: {learning_rate: [1.0e-3, 3e-3]}\n"
                                       "  schedule: {kind: wsd, warmup_samples: 640}\n"
                                       "  branching: true\n"),
                         "branching.yaml");
  ASSERT_EQ(grid.runs.size(), 8u);
  std::map<std::string, std::string> trunk_of;
  for (const RunSpec& run : grid.runs) {
    if (run.trunk.empty()) continue;
    trunk_of[run.id] = run.trunk;
    // The trunk trains the same size and rate at the largest budget.
    const RunSpec* trunk = nullptr;
    for (const RunSpec& t : grid.runs) {
      if (t.id == run.trunk) trunk = &t;
    }
    ASSERT_NE(trunk, nullptr);
    EXPECT_EQ(trunk->size().name, run.size().name);
    EXPECT_EQ(trunk->axis_values, run.axis_values);
    EXPECT_EQ(trunk->samples(), 20000);
  }
  EXPECT_EQ(trunk_of.size(), 4u);  // the 10k run of each size and rate
}

}  // namespace
}  // namespace florenz
