// Budget branching in the grid: the largest budget of each (size, seed) is the trunk of the
// others, which branch at their own wsd decay start; run ids are those of the grid without
// branching; the samples saved are counted; and a grid that cannot branch is refused.
#include "experiments/branching.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "experiments/grid_loader.h"
#include "tests/experiments/grid_test_util.h"

namespace florenz {
namespace {

using ::testing::HasSubstr;

std::string Grid(const std::string& branching, const std::string& schedule) {
  return "experiment: {name: branching, seeds: [0, 1]}\n"
         "data:\n"
         "  image: symbolic\n"
         "  languages: [en, de]\n"
         "  coverage: {caption: {en: train, de: eval}, translate: {de: train}}\n"
         "model: {sizes: [xs, s]}\n"
         "training:\n"
         "  budgets: [640, 2560, 1280]\n"
         "  batch_size: 32\n"
         "  branching: " +
         branching +
         "\n"
         "  schedule: " +
         schedule + "\n";
}

const char kWsd[] = "{kind: wsd, warmup_samples: 64, decay_fraction: 0.2}";

TEST(BranchingTest, TheLargestBudgetIsTheTrunkOfTheOthersAtTheirDecayStart) {
  const LoadedGrid grid = LoadGridFromString(Grid("true", kWsd), "g.yaml");
  ASSERT_EQ(grid.runs.size(), 12u);
  std::map<std::string, const RunSpec*> by_id;
  for (const auto& run : grid.runs) by_id[run.id] = &run;
  for (const auto& run : grid.runs) {
    if (run.samples() == 2560) {
      EXPECT_TRUE(run.trunk.empty());
      ASSERT_EQ(run.branches.size(), 2u) << run.id;
      for (const auto& [branch, step] : run.branches) {
        const RunSpec& b = *by_id.at(branch);
        EXPECT_EQ(b.trunk, run.id);
        EXPECT_EQ(b.size().name, run.size().name);
        EXPECT_EQ(b.seed(), run.seed());
        EXPECT_EQ(b.branch_step, step);
      }
      EXPECT_EQ(run.TrainedSamples(), 2560);
    } else {
      // 640 samples = 20 steps: decay = round(0.2 · 20) = 4, from step 16; 1280: 40 → 32.
      EXPECT_EQ(run.branch_step, run.samples() == 640 ? 16 : 32) << run.id;
      EXPECT_EQ(run.TrainedSamples(), run.samples() == 640 ? 128 : 256);
      EXPECT_TRUE(run.branches.empty());
    }
  }
  const BranchingSavings savings = TrainedSamples(grid.runs);
  EXPECT_EQ(savings.without_branching, 4 * (640 + 1280 + 2560));
  EXPECT_EQ(savings.with_branching, 4 * (2560 + 128 + 256));
}

TEST(BranchingTest, RunIdsAreThoseOfTheGridWithoutBranching) {
  const LoadedGrid branched = LoadGridFromString(Grid("true", kWsd), "g.yaml");
  const LoadedGrid alone = LoadGridFromString(Grid("false", kWsd), "g.yaml");
  ASSERT_EQ(branched.runs.size(), alone.runs.size());
  for (size_t i = 0; i < alone.runs.size(); ++i) {
    EXPECT_EQ(branched.runs[i].id, alone.runs[i].id);
    EXPECT_TRUE(alone.runs[i].trunk.empty());
    EXPECT_TRUE(alone.runs[i].branches.empty());
  }
}

TEST(BranchingTest, TheDecayStartIsTheWsdScheduleOne) {
  TrainingOptions t;
  t.batch_size = 32;
  t.schedule.kind = ScheduleKind::kWsd;
  t.schedule.warmup_samples = 64;
  t.schedule.decay_fraction = 0.2;
  EXPECT_EQ(TrainingSteps(t, 640), 20);
  EXPECT_EQ(TrainingSteps(t, 10), 1);
  EXPECT_EQ(WarmupSteps(t, 20), 2);
  EXPECT_EQ(WsdDecayStartStep(t, 20), 16);
  EXPECT_EQ(WsdDecayStartStep(t, 3), 2);  // never before the warm-up ends
  // Monotone: a larger budget never branches earlier than a smaller one.
  for (int64_t steps = 1; steps < 500; ++steps) {
    EXPECT_LE(WsdDecayStartStep(t, steps), WsdDecayStartStep(t, steps + 1)) << steps;
  }
}

TEST(BranchingTest, AGridThatCannotBranchIsRefusedAtItsLine) {
  EXPECT_THAT(testing::LoadError(Grid("true", "{kind: cosine, warmup_samples: 64}")),
              HasSubstr("bad.yaml:10:14: training.branching: budgets branch off a trunk"));
  EXPECT_THAT(testing::LoadError(Grid("true", "{kind: wsd, warmup_fraction: 0.05}")),
              HasSubstr("training.schedule.warmup_samples"));
  EXPECT_EQ(testing::LoadError(Grid("true", kWsd)), "");
}

}  // namespace
}  // namespace florenz
