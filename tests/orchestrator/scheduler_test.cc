// The scheduler's rules, one event at a time: node-local tensor-parallel groups, gang order,
// mixed gang sizes, queue order, EASY backfilling with its reservation, throughput learning,
// requeue and lost ranks, the embedded one-process shape, and determinism.
#include "orchestrator/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <stdexcept>

namespace florenz {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// With 1 FLOP/s per rank, a run of `seconds` on its gang costs seconds × ranks FLOPs.
SchedulerOptions UnitSpeed(SchedulingPolicy policy = SchedulingPolicy::kLpt,
                           BackfillMode backfill = BackfillMode::kEasy) {
  SchedulerOptions options;
  options.policy = policy;
  options.backfill = backfill;
  options.default_flops_per_rank_second = 1;
  return options;
}

PendingRun Job(const std::string& id, int tp, int dp, double seconds) {
  return PendingRun{id, tp, dp, seconds * tp * dp};
}

void ExpectNodeLocalGroups(const ClusterShape& shape, const Placement& p) {
  ASSERT_EQ(p.ranks.size(), static_cast<size_t>(p.tp * p.dp)) << p.run_id;
  for (int d = 0; d < p.dp; ++d) {
    const int node = shape.NodeOf(p.ranks[d * p.tp]);
    ASSERT_GE(node, 0) << p.run_id << ": rank " << p.ranks[d * p.tp] << " is not a worker";
    for (int t = 0; t < p.tp; ++t) {
      EXPECT_EQ(shape.NodeOf(p.ranks[d * p.tp + t]), node)
          << p.run_id << ": tp group " << d << " spans nodes";
      if (t > 0) EXPECT_LT(p.ranks[d * p.tp + t - 1], p.ranks[d * p.tp + t]);
    }
  }
}

TEST(ClusterShapeTest, UniformLeavesTheCoordinatorOut) {
  const ClusterShape slot = ClusterShape::Uniform(16, 8);
  EXPECT_EQ(slot.worker_count(), 15);
  EXPECT_EQ(slot.NodeOf(0), -1);
  EXPECT_EQ(slot.NodeOf(7), 0);
  EXPECT_EQ(slot.NodeOf(8), 1);
  EXPECT_EQ(slot.max_workers_per_node(), 8);
  const ClusterShape extra = ClusterShape::Uniform(16, 8, CoordinatorPlacement::kExtra);
  EXPECT_EQ(extra.worker_count(), 16);
  EXPECT_EQ(extra.NodeOf(0), -1);
  EXPECT_EQ(extra.NodeOf(8), 0);
  EXPECT_EQ(extra.NodeOf(9), 1);
  EXPECT_EQ(extra.NodeOf(16), 1);
  EXPECT_EQ(extra.Describe(), "16 worker ranks on 2 nodes (8 per node)");
  EXPECT_THROW(ClusterShape::Uniform(1, 8), std::invalid_argument);
  EXPECT_THROW(ClusterShape({{1, 0}, {1, 1}}), std::invalid_argument);
}

TEST(SchedulerTest, GangOrderIsTpFastestWithEachGroupOnOneNode) {
  // Workers 1..4; ranks 1, 2 on node 0 and 3, 4 on node 1.
  const ClusterShape shape = ClusterShape::Uniform(4, 2, CoordinatorPlacement::kExtra);
  Scheduler scheduler(shape, UnitSpeed());
  scheduler.Submit(Job("a", 2, 2, 10));
  const auto placements = scheduler.Schedule(0);
  ASSERT_EQ(placements.size(), 1u);
  EXPECT_THAT(placements[0].ranks, ElementsAre(1, 2, 3, 4));
  ExpectNodeLocalGroups(shape, placements[0]);
  EXPECT_EQ(scheduler.free_rank_count(), 0);
}

TEST(SchedulerTest, TpGroupsNeverSpanNodesEvenWhenNodesAreFragmented) {
  // Three nodes of 4 workers; a tp 1 run fragments node 0 so that node 0 has 3 free ranks.
  const ClusterShape shape = ClusterShape::Uniform(12, 4, CoordinatorPlacement::kExtra);
  Scheduler scheduler(shape, UnitSpeed(SchedulingPolicy::kFifo));
  scheduler.Submit(Job("one", 1, 1, 100));
  scheduler.Submit(Job("tp2x4", 2, 4, 50));  // 8 ranks: needs 4 groups of 2, 3-free node holds 1
  scheduler.Submit(Job("tp2x1", 2, 1, 50));
  const auto placements = scheduler.Schedule(0);
  ASSERT_EQ(placements.size(), 3u);
  for (const auto& p : placements) ExpectNodeLocalGroups(shape, p);
  EXPECT_EQ(scheduler.free_rank_count(), 1);
  // A tp group can never be wider than a node.
  EXPECT_THROW(scheduler.Submit(Job("tp8", 8, 1, 1)), std::invalid_argument);
  EXPECT_THAT(scheduler.WhyUnplaceable(8, 1), HasSubstr("largest node has 4 live worker ranks"));
}

TEST(SchedulerTest, RandomEventsKeepGroupsNodeLocalAndRanksExclusive) {
  const ClusterShape shape = ClusterShape::Uniform(33, 8);  // node 0 has 7 workers
  std::mt19937 random(7);
  Scheduler scheduler(shape, UnitSpeed());
  for (int i = 0; i < 300; ++i) {
    const int tp = 1 << (random() % 4);                 // 1, 2, 4, 8
    const int dp = 1 + static_cast<int>(random() % 3);  // 1..3
    scheduler.Submit(Job("r" + std::to_string(i), tp, dp, 1 + random() % 50));
  }
  std::set<int> busy;
  std::vector<Placement> running;
  double now = 0;
  int finished = 0;
  while (finished < 300) {
    for (auto& p : scheduler.Schedule(now)) {
      ExpectNodeLocalGroups(shape, p);
      for (const int rank : p.ranks) {
        EXPECT_NE(rank, 0) << "the coordinator got work";
        EXPECT_TRUE(busy.insert(rank).second) << "rank " << rank << " double-booked";
      }
      running.push_back(std::move(p));
    }
    ASSERT_FALSE(running.empty()) << "nothing runs, " << scheduler.pending_count() << " pending";
    const size_t pick = random() % running.size();
    for (const int rank : running[pick].ranks) busy.erase(rank);
    scheduler.OnFinished(running[pick].run_id, 1);
    running.erase(running.begin() + pick);
    ++finished;
    now += 1;
  }
  EXPECT_EQ(scheduler.pending_count(), 0u);
  EXPECT_EQ(scheduler.free_rank_count(), shape.worker_count());
}

TEST(SchedulerTest, GangsOfDifferentSizesRunTogether) {
  const ClusterShape shape = ClusterShape::Uniform(9, 9);  // workers 1..8 on node 0
  Scheduler scheduler(shape, UnitSpeed());
  scheduler.Submit(Job("four", 2, 2, 10));
  scheduler.Submit(Job("two", 1, 2, 10));
  scheduler.Submit(Job("one", 1, 1, 10));
  const auto placements = scheduler.Schedule(0);
  ASSERT_EQ(placements.size(), 3u);
  std::set<int> used;
  for (const auto& p : placements) used.insert(p.ranks.begin(), p.ranks.end());
  EXPECT_EQ(used.size(), 7u);
  EXPECT_EQ(scheduler.free_rank_count(), 1);
  EXPECT_EQ(scheduler.busy_rank_count(), 7);
  EXPECT_EQ(scheduler.running_count(), 3u);
}

TEST(SchedulerTest, BestFitPutsAGangOnTheFullestNodeThatHoldsIt) {
  const ClusterShape shape = ClusterShape::Uniform(8, 4, CoordinatorPlacement::kExtra);
  Scheduler scheduler(shape, UnitSpeed(SchedulingPolicy::kFifo));
  scheduler.Submit(Job("half", 1, 2, 100));  // node 0 keeps 2 free ranks
  scheduler.Submit(Job("pair", 2, 1, 100));  // fits both nodes: the fuller one (node 0)
  const auto placements = scheduler.Schedule(0);
  ASSERT_EQ(placements.size(), 2u);
  EXPECT_THAT(placements[0].ranks, ElementsAre(1, 2));
  EXPECT_THAT(placements[1].ranks, ElementsAre(3, 4));
  EXPECT_EQ(scheduler.free_rank_count(), 4);  // node 1 stays whole for a gang of 4
}

TEST(SchedulerTest, LptStartsTheLongestRunFirstAndFifoTheFirstSubmitted) {
  for (const auto policy : {SchedulingPolicy::kLpt, SchedulingPolicy::kFifo}) {
    Scheduler scheduler(ClusterShape::Uniform(2, 1), UnitSpeed(policy));
    scheduler.Submit(Job("short", 1, 1, 10));
    scheduler.Submit(Job("long", 1, 1, 100));
    scheduler.Submit(Job("middle", 1, 1, 50));
    const auto placements = scheduler.Schedule(0);
    ASSERT_EQ(placements.size(), 1u);
    if (policy == SchedulingPolicy::kLpt) {
      EXPECT_EQ(placements[0].run_id, "long");
      EXPECT_THAT(scheduler.PendingIds(), ElementsAre("middle", "short"));
    } else {
      EXPECT_EQ(placements[0].run_id, "short");
      EXPECT_THAT(scheduler.PendingIds(), ElementsAre("long", "middle"));
    }
  }
}

TEST(SchedulerTest, EasyBackfillFillsIdleRanksWithoutDelayingTheBlockedRun) {
  for (const auto backfill : {BackfillMode::kEasy, BackfillMode::kNone}) {
    Scheduler scheduler(ClusterShape::Uniform(5, 8),
                        UnitSpeed(SchedulingPolicy::kFifo, backfill));  // 4 workers
    scheduler.Submit(Job("a", 1, 2, 100));                              // starts; 2 ranks stay free
    scheduler.Submit(Job("b", 1, 4, 50));   // blocked until a ends at t = 100
    scheduler.Submit(Job("c", 1, 1, 10));   // ends before 100: may start
    scheduler.Submit(Job("d", 1, 1, 150));  // would hold a rank b needs at 100: must wait
    scheduler.Submit(Job("e", 1, 1, 80));   // ends before 100: may start
    const auto placements = scheduler.Schedule(0);
    std::vector<std::string> ids;
    for (const auto& p : placements) ids.push_back(p.run_id);
    if (backfill == BackfillMode::kEasy) {
      EXPECT_THAT(ids, ElementsAre("a", "c", "e"));
      EXPECT_FALSE(placements[0].backfilled);
      EXPECT_TRUE(placements[1].backfilled);
      EXPECT_EQ(scheduler.free_rank_count(), 0);
      // When a ends, b starts at once although d has waited longer in the queue.
      scheduler.OnFinished("c", 10);
      scheduler.OnFinished("e", 80);
      EXPECT_TRUE(scheduler.Schedule(80).empty()) << "d must not take b's ranks";
      scheduler.OnFinished("a", 100);
      const auto next = scheduler.Schedule(100);
      ASSERT_EQ(next.size(), 1u);
      EXPECT_EQ(next[0].run_id, "b");
    } else {
      EXPECT_THAT(ids, ElementsAre("a"));
      EXPECT_EQ(scheduler.free_rank_count(), 2);
    }
  }
}

TEST(SchedulerTest, ThroughputIsLearntFromFinishedRuns) {
  SchedulerOptions options;
  options.default_flops_per_rank_second = 1e10;
  Scheduler scheduler(ClusterShape::Uniform(3, 2), options);
  const PendingRun run{"x", 1, 2, 4e12};
  EXPECT_DOUBLE_EQ(scheduler.EstimatedSeconds(run), 200);  // 4e12 / (2 × 1e10)
  scheduler.Submit(run);
  ASSERT_EQ(scheduler.Schedule(0).size(), 1u);
  scheduler.OnFinished("x", 20);  // 4e12 FLOPs in 20 s on 2 ranks: 1e11 per rank
  EXPECT_DOUBLE_EQ(scheduler.throughput().flops_per_rank_second(), 1e11);
  EXPECT_DOUBLE_EQ(scheduler.EstimatedSeconds(run), 20);
  scheduler.Submit(PendingRun{"y", 1, 1, 1e12});
  ASSERT_EQ(scheduler.Schedule(20).size(), 1u);
  scheduler.OnFinished("y", 30);  // ratio of sums: 5e12 / (40 + 30) rank-seconds
  EXPECT_DOUBLE_EQ(scheduler.throughput().flops_per_rank_second(), 5e12 / 70);
  EXPECT_EQ(scheduler.throughput().measurements(), 2);

  ThroughputEstimate estimate(1e9);
  estimate.Record(1e12, 1, 0);  // a run that took no time tells nothing
  EXPECT_EQ(estimate.measurements(), 0);
  EXPECT_DOUBLE_EQ(estimate.flops_per_rank_second(), 1e9);
}

TEST(SchedulerTest, RequeuedRunStartsAgainAndLostRanksGetNoWork) {
  const ClusterShape shape = ClusterShape::Uniform(4, 4, CoordinatorPlacement::kExtra);
  Scheduler scheduler(shape, UnitSpeed(SchedulingPolicy::kFifo));
  scheduler.Submit(Job("a", 1, 2, 10));
  scheduler.Submit(Job("b", 1, 2, 10));
  scheduler.Submit(Job("c", 1, 2, 10));
  auto placements = scheduler.Schedule(0);
  ASSERT_EQ(placements.size(), 2u);
  EXPECT_THAT(scheduler.RanksOf("a"), ElementsAre(1, 2));

  // a's gang went silent: its ranks are lost, the run goes back to the front of the queue.
  scheduler.MarkLost({1, 2});
  scheduler.Requeue("a");
  EXPECT_EQ(scheduler.lost_rank_count(), 2);
  EXPECT_EQ(scheduler.free_rank_count(), 0);
  EXPECT_THAT(scheduler.PendingIds(), ElementsAre("a", "c"));
  EXPECT_TRUE(scheduler.Schedule(1).empty());
  scheduler.OnFinished("b", 10);
  placements = scheduler.Schedule(10);
  ASSERT_EQ(placements.size(), 1u);
  EXPECT_EQ(placements[0].run_id, "a");
  EXPECT_THAT(placements[0].ranks, ElementsAre(3, 4));

  // A retry (run failed, retries left) is a requeue without lost ranks.
  scheduler.Requeue("a");
  EXPECT_EQ(scheduler.free_rank_count(), 2);
  EXPECT_THROW(scheduler.OnFailed("a"), std::invalid_argument);  // pending, not running
}

TEST(SchedulerTest, RunsThatNoLongerFitTheLiveRanksAreReported) {
  const ClusterShape shape = ClusterShape::Uniform(4, 4, CoordinatorPlacement::kExtra);
  Scheduler scheduler(shape, UnitSpeed());
  scheduler.Submit(Job("wide", 1, 4, 10));
  scheduler.Submit(Job("small", 1, 1, 5));
  scheduler.MarkLost({4});
  const auto gone = scheduler.TakeUnplaceable();
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].first, "wide");
  EXPECT_THAT(gone[0].second, HasSubstr("the 3 live worker ranks"));
  EXPECT_TRUE(scheduler.TakeUnplaceable().empty());
  const auto placements = scheduler.Schedule(0);
  ASSERT_EQ(placements.size(), 1u);
  EXPECT_EQ(placements[0].run_id, "small");
  EXPECT_THROW(scheduler.MarkLost({0}), std::invalid_argument);  // not a worker
}

TEST(SchedulerTest, MisuseIsAnError) {
  Scheduler scheduler(ClusterShape::Uniform(3, 2), UnitSpeed());
  scheduler.Submit(Job("a", 1, 1, 1));
  EXPECT_THROW(scheduler.Submit(Job("a", 1, 1, 1)), std::invalid_argument);
  EXPECT_THROW(scheduler.Submit(Job("z", 0, 1, 1)), std::invalid_argument);
  EXPECT_THROW(scheduler.Submit(Job("w", 1, 3, 1)), std::invalid_argument);  // 2 workers
  EXPECT_THROW(scheduler.OnFinished("a", 1), std::invalid_argument);         // not running
  EXPECT_THROW(scheduler.Requeue("nope"), std::invalid_argument);
  SchedulerOptions bad;
  bad.default_flops_per_rank_second = 0;
  std::string error;
  EXPECT_FALSE(bad.IsValid(&error));
  EXPECT_THAT(error, HasSubstr("default_flops_per_rank_second"));
}

TEST(SchedulerTest, EmbeddedModeSchedulesRankZero) {
  Scheduler scheduler(ClusterShape::Embedded(), UnitSpeed());
  scheduler.Submit(Job("a", 1, 1, 5));
  scheduler.Submit(Job("b", 1, 1, 10));
  auto placements = scheduler.Schedule(0);
  ASSERT_EQ(placements.size(), 1u);
  EXPECT_EQ(placements[0].run_id, "b");
  EXPECT_THAT(placements[0].ranks, ElementsAre(0));
  EXPECT_TRUE(scheduler.Schedule(1).empty());
  scheduler.OnFinished("b", 10);
  placements = scheduler.Schedule(10);
  ASSERT_EQ(placements.size(), 1u);
  EXPECT_EQ(placements[0].run_id, "a");
}

TEST(SchedulerTest, SameCallsGiveTheSamePlacements) {
  auto trace = [] {
    Scheduler scheduler(ClusterShape::Uniform(17, 4), UnitSpeed());
    std::mt19937 random(3);
    for (int i = 0; i < 40; ++i) {
      scheduler.Submit(
          Job("r" + std::to_string(i), 1 << (random() % 3), 1 + random() % 3, 1 + random() % 9));
    }
    std::vector<std::vector<int>> out;
    std::vector<std::string> running;
    for (double now = 0; scheduler.pending_count() + running.size() > 0; now += 1) {
      for (const auto& p : scheduler.Schedule(now)) {
        out.push_back(p.ranks);
        running.push_back(p.run_id);
      }
      scheduler.OnFinished(running.front(), 1);
      running.erase(running.begin());
    }
    return out;
  };
  EXPECT_EQ(trace(), trace());
}

}  // namespace
}  // namespace florenz
