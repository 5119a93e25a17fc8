// The discrete-event replay: LPT against FIFO on a case built to separate them, backfilling
// against none, the lower bounds, throughput learning, big mixed workloads, the shipped grids,
// and identical results for identical inputs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "experiments/grid_loader.h"
#include "orchestrator/run_cost.h"
#include "orchestrator/simulation.h"

namespace florenz {
namespace {

SimulationOptions Options(SchedulingPolicy policy, BackfillMode backfill = BackfillMode::kEasy) {
  SimulationOptions options;
  options.scheduler.policy = policy;
  options.scheduler.backfill = backfill;
  options.scheduler.default_flops_per_rank_second = 1;
  options.flops_per_rank_second = 1;
  return options;
}

// A run of `seconds` on its gang at 1 FLOP/s per rank.
SimulatedRun Job(const std::string& id, int tp, int dp, double seconds) {
  return SimulatedRun{id, tp, dp, seconds * tp * dp, 0};
}

TEST(SimulateTest, LptBeatsFifoWhenTheLongRunComesLast) {
  // Two workers; the grid lists four 10 s runs, then one of 40 s. FIFO runs the short ones two
  // at a time (20 s) and then the long one alone (60 s); LPT starts the long one at once and
  // the short ones beside it (40 s, the lower bound).
  const ClusterShape shape = ClusterShape::Uniform(3, 3);
  const std::vector<SimulatedRun> runs{Job("s1", 1, 1, 10), Job("s2", 1, 1, 10),
                                       Job("s3", 1, 1, 10), Job("s4", 1, 1, 10),
                                       Job("long", 1, 1, 40)};
  const SimulationResult lpt = Simulate(shape, runs, Options(SchedulingPolicy::kLpt));
  const SimulationResult fifo = Simulate(shape, runs, Options(SchedulingPolicy::kFifo));
  ASSERT_TRUE(lpt.ok);
  EXPECT_DOUBLE_EQ(lpt.lower_bound, 40);  // max(80 rank-s / 2 ranks, 40 s)
  EXPECT_DOUBLE_EQ(lpt.makespan, 40);
  EXPECT_DOUBLE_EQ(lpt.utilisation, 1);
  EXPECT_DOUBLE_EQ(fifo.makespan, 60);
  EXPECT_NEAR(fifo.utilisation, 80.0 / 120, 1e-12);
  EXPECT_DOUBLE_EQ(fifo.Ratio(), 1.5);
  EXPECT_EQ(lpt.policy, "lpt+easy");
  EXPECT_THAT(lpt.BriefReport(), ::testing::HasSubstr("1.000 x lower bound"));
}

TEST(SimulateTest, BackfillingUsesRanksThatWouldIdle) {
  // Four workers. A 2-rank run of 100 s, then a 4-rank run: without backfilling two ranks idle
  // for 100 s although eight 1-rank runs of 25 s could use them.
  const ClusterShape shape = ClusterShape::Uniform(5, 8);
  std::vector<SimulatedRun> runs{Job("a", 1, 2, 100), Job("b", 1, 4, 50)};
  for (int i = 0; i < 8; ++i) runs.push_back(Job("small" + std::to_string(i), 1, 1, 25));
  const auto easy = Simulate(shape, runs, Options(SchedulingPolicy::kFifo, BackfillMode::kEasy));
  const auto none = Simulate(shape, runs, Options(SchedulingPolicy::kFifo, BackfillMode::kNone));
  EXPECT_DOUBLE_EQ(easy.makespan, 150);  // smalls beside a, then b at 100 as reserved
  EXPECT_EQ(easy.backfilled, 8);
  EXPECT_DOUBLE_EQ(none.makespan, 200);  // a, then b, then the smalls four at a time
  EXPECT_GT(easy.utilisation, none.utilisation);
}

TEST(SimulateTest, GangGranularityGivesTheTighterBound) {
  // 7 workers and gangs of 2: at most 6 ranks are ever busy.
  const ClusterShape shape = ClusterShape::Uniform(8, 8);
  std::vector<SimulatedRun> runs;
  for (int i = 0; i < 6; ++i) runs.push_back(Job("r" + std::to_string(i), 1, 2, 10));
  const auto result = Simulate(shape, runs, Options(SchedulingPolicy::kLpt));
  EXPECT_EQ(result.gang_granularity, 2);
  EXPECT_EQ(result.usable_ranks, 6);
  EXPECT_NEAR(result.lower_bound, 120.0 / 7, 1e-12);
  EXPECT_DOUBLE_EQ(result.packing_bound, 20);
  EXPECT_DOUBLE_EQ(result.makespan, 20);
}

TEST(SimulateTest, SchedulerLearnsTheTrueThroughput) {
  SimulationOptions options = Options(SchedulingPolicy::kLpt);
  options.scheduler.default_flops_per_rank_second = 1e10;
  options.flops_per_rank_second = 3e12;
  const std::vector<SimulatedRun> runs{SimulatedRun{"a", 1, 2, 6e13, 0},
                                       SimulatedRun{"b", 1, 1, 3e13, 0}};
  const auto result = Simulate(ClusterShape::Uniform(4, 4), runs, options);
  EXPECT_DOUBLE_EQ(result.makespan, 10);
  EXPECT_DOUBLE_EQ(result.final_flops_per_rank_second, 3e12);
}

TEST(SimulateTest, ManyMixedGangsCompleteWithinTheBounds) {
  // The simulation itself throws if a rank is double-booked or a tp group spans nodes.
  std::mt19937 random(11);
  std::vector<SimulatedRun> runs;
  for (int i = 0; i < 2000; ++i) {
    runs.push_back(Job("r" + std::to_string(i), 1 << (random() % 3), 1 << (random() % 4),
                       10 + random() % 1000));
  }
  const ClusterShape shape = ClusterShape::Uniform(129, 8);
  for (const auto policy : {SchedulingPolicy::kLpt, SchedulingPolicy::kFifo}) {
    for (const auto backfill : {BackfillMode::kEasy, BackfillMode::kNone}) {
      SimulationOptions options = Options(policy, backfill);
      options.jitter = 0.3;
      const auto result = Simulate(shape, runs, options);
      EXPECT_GE(result.makespan, result.lower_bound * (1 - 1e-12)) << result.policy;
      EXPECT_LE(result.utilisation, 1 + 1e-12) << result.policy;
      if (policy == SchedulingPolicy::kLpt && backfill == BackfillMode::kEasy) {
        EXPECT_LT(result.Ratio(), 1.1) << result.BriefReport();
      }
    }
  }
}

TEST(SimulateTest, SameInputsGiveTheSameTimeline) {
  std::vector<SimulatedRun> runs;
  for (int i = 0; i < 200; ++i) {
    runs.push_back(Job("r" + std::to_string(i), 1 + i % 2, 1 + i % 3, 5 + (i * 37) % 50));
  }
  SimulationOptions options = Options(SchedulingPolicy::kLpt);
  options.jitter = 0.2;
  options.seed = 5;
  options.record_timeline = true;
  const ClusterShape shape = ClusterShape::Uniform(25, 8);
  const auto first = Simulate(shape, runs, options);
  const auto second = Simulate(shape, runs, options);
  ASSERT_EQ(first.timeline.size(), runs.size());
  ASSERT_EQ(first.timeline.size(), second.timeline.size());
  for (size_t i = 0; i < first.timeline.size(); ++i) {
    EXPECT_EQ(first.timeline[i].placement.run_id, second.timeline[i].placement.run_id);
    EXPECT_EQ(first.timeline[i].placement.ranks, second.timeline[i].placement.ranks);
    EXPECT_EQ(first.timeline[i].start, second.timeline[i].start);
  }
  EXPECT_EQ(first.makespan, second.makespan);
  options.seed = 6;  // another jitter draw changes the durations
  EXPECT_NE(Simulate(shape, runs, options).makespan, first.makespan);
}

TEST(SimulateTest, ShippedGridsFitTheirClusterShapes) {
  const LoadedGrid paper =
      LoadGrid(std::string(FLORENZ_SOURCE_DIR) + "/experiments/grids/florenz_paper.yaml");
  const auto runs = SimulatedRunsFromGrid(paper.runs);
  ASSERT_EQ(runs.size(), 16u);
  for (size_t i = 0; i < runs.size(); ++i) {
    EXPECT_GT(runs[i].flops, paper.runs[i].training_flops) << "evaluation is part of the cost";
    EXPECT_LT(runs[i].flops, 2 * paper.runs[i].training_flops) << runs[i].id;
  }
  SimulationOptions options;
  options.flops_per_rank_second = 1e14;
  const auto lpt =
      Simulate(ClusterShape::Uniform(64, 8, CoordinatorPlacement::kExtra), runs, options);
  options.scheduler.policy = SchedulingPolicy::kFifo;
  const auto fifo =
      Simulate(ClusterShape::Uniform(64, 8, CoordinatorPlacement::kExtra), runs, options);
  EXPECT_LT(lpt.Ratio(), 1.10) << lpt.BriefReport();
  EXPECT_LT(lpt.makespan, fifo.makespan);
  // The 32-rank gangs do not fit 15 workers: an input error, not a hang.
  EXPECT_THROW(Simulate(ClusterShape::Uniform(16, 8), runs, options), std::invalid_argument);
}

TEST(SimulateTest, ABranchWaitsForItsTrunksBranchPoint) {
  // Two free ranks: without the edge the branch would start at 0 beside its trunk.
  SimulatedRun trunk = Job("trunk", 1, 1, 100);
  SimulatedRun branch = Job("branch", 1, 1, 10);
  branch.trunk = "trunk";
  branch.ready_fraction = 0.6;
  SimulationOptions options = Options(SchedulingPolicy::kLpt);
  options.record_timeline = true;
  const auto result = Simulate(ClusterShape::Uniform(3, 3), {branch, trunk}, options);
  ASSERT_TRUE(result.ok);
  std::map<std::string, double> start;
  for (const auto& p : result.timeline) start[p.placement.run_id] = p.start;
  EXPECT_DOUBLE_EQ(start.at("trunk"), 0);
  EXPECT_DOUBLE_EQ(start.at("branch"), 60);
  EXPECT_DOUBLE_EQ(result.makespan, 100);
}

TEST(SimulateTest, ABranchingGridCostsWhatItsRunsTrainAfterTheirBranchPoints) {
  const std::string text =
      "experiment: {name: branching, seeds: [0]}\n"
      "data:\n"
      "  image: symbolic\n"
      "  languages: [en, de]\n"
      "  coverage: {caption: {en: train, de: eval}, translate: {de: train}}\n"
      "model: {sizes: [xs]}\n"
      "training:\n"
      "  budgets: [640, 1280, 2560]\n"
      "  batch_size: 32\n"
      "  branching: true\n"
      "  schedule: {kind: wsd, warmup_samples: 64, decay_fraction: 0.25}\n";
  const LoadedGrid grid = LoadGridFromString(text, "g.yaml");
  const std::vector<SimulatedRun> runs = SimulatedRunsFromGrid(grid.runs);
  std::map<std::string, const SimulatedRun*> by_id;
  for (const auto& run : runs) by_id[run.id] = &run;
  for (const auto& run : grid.runs) {
    const SimulatedRun& s = *by_id.at(run.id);
    if (run.samples() == 2560) {
      EXPECT_TRUE(s.trunk.empty());
      continue;
    }
    EXPECT_EQ(s.trunk, run.trunk);
    // 640: branch at step 15 of the trunk's 80 → 480 / 2560 of its way; 1280: 960 / 2560.
    EXPECT_DOUBLE_EQ(s.ready_fraction, run.samples() == 640 ? 480.0 / 2560 : 960.0 / 2560);
    EXPECT_LT(s.flops, by_id.at(runs.back().id)->flops / 4);  // it trains only its decay
  }
  const auto result = Simulate(ClusterShape::Uniform(4, 4), runs, Options(SchedulingPolicy::kLpt));
  EXPECT_TRUE(result.ok);
}

}  // namespace
}  // namespace florenz
