// Scheduler: which pending run starts next on which ranks. Pure logic, no MPI: the coordinator
// (rank 0) calls it on events (a gang finished, failed or went silent) and sends `Assign` to
// the ranks of every placement it returns; `florenz simulate` replays the same code on a
// cluster shape. Policy and placement rules: docs/orchestrator.md.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "orchestrator/cluster_shape.h"
#include "orchestrator/run_cost.h"

namespace florenz {

// Order of the queue.
enum class SchedulingPolicy {
  // Longest estimated run first (LPT): estimated seconds on its own gang, i.e. FLOPs / gang
  // size, descending; ties: bigger gang first, then submission order.
  kLpt,
  // Submission order (the grid's order), as a job array would run it.
  kFifo,
};
// "lpt", "fifo".
const char* ToString(SchedulingPolicy policy);
// Inverse of ToString(); false (and *policy untouched) for any other text.
bool FromString(const std::string& text, SchedulingPolicy* policy);

// What happens when the first run of the queue does not fit the free ranks.
enum class BackfillMode {
  // Nothing starts until it fits (strict queue order).
  kNone,
  // EASY backfilling: the blocked first run gets a reservation at the earliest time the
  // running gangs' estimated ends free enough ranks for it (node layout included); a later run
  // may start now if it fits the free ranks and either ends, by estimate, before that time or
  // leaves the reservation intact. Only the first blocked run is protected: runs behind it may
  // be overtaken repeatedly (the EASY trade-off; see docs/orchestrator.md).
  kEasy,
};
// "none", "easy".
const char* ToString(BackfillMode mode);
// Inverse of ToString(); false (and *mode untouched) for any other text.
bool FromString(const std::string& text, BackfillMode* mode);

struct SchedulerOptions {
  // Queue order.
  SchedulingPolicy policy = SchedulingPolicy::kLpt;
  // Whether runs behind a blocked one may start (both policies).
  BackfillMode backfill = BackfillMode::kEasy;
  // FLOP/s per rank assumed until the first run finishes (then measured: ThroughputEstimate).
  // It sets the estimated seconds that backfilling compares, not the queue order (LPT orders
  // by FLOPs per rank, which no uniform throughput changes). The default is a CPU core's
  // order of magnitude for florenz's model (docs/performance.md: 5-40 GFLOP/s); > 0.
  double default_flops_per_rank_second = 1e10;

  // False with a message when a value is out of range.
  bool IsValid(std::string* error) const;
};

// A run waiting for a gang: the coordinator submits one per unfinished run of the grid.
struct PendingRun {
  std::string id;    // the run id; unique among pending and running runs
  int tp = 1;        // tensor-parallel degree: ranks of one group, always on one node
  int dp = 1;        // data-parallel degree: number of tp groups; may span nodes
  double flops = 0;  // estimated cost (EstimateRunFlops); >= 0
  int ranks() const { return tp * dp; }
};

// A decision of Schedule(): start `run_id` on `ranks`.
struct Placement {
  std::string run_id;
  int tp = 1;
  int dp = 1;
  // World ranks in gang order, tp fastest: gang rank g = d * tp + t is ranks[g], so
  // ranks[d*tp .. d*tp+tp-1] is tp group d and sits on one node. Groups of one gang may sit on
  // different nodes. Within a group the ranks ascend.
  std::vector<int> ranks;
  // Estimated run time with the throughput known at placement.
  double estimated_seconds = 0;
  // True when the run started ahead of a blocked run earlier in the queue.
  bool backfilled = false;
};

// The queue of pending runs, the running gangs and the state of every worker rank (free, busy,
// lost). Not thread-safe; deterministic: the same calls give the same placements.
//
// Events, as the coordinator sees them:
//   Submit(run)...            the grid's unfinished runs, at start (and later, if ever)
//   Schedule(now)             after every event: the gangs to start now
//   OnFinished(run, seconds)  the gang's leader sent Done: ranks free, throughput measured
//   OnFailed(run)             a run failed for good (retries spent): ranks free, run dropped
//   Requeue(run)              a retry, or a lost gang's run: back to the queue, ranks free
//   MarkLost(ranks)           silent ranks: never scheduled again (call before Requeue)
//   TakeUnplaceable()         runs that no longer fit the ranks left alive
// Misuse (unknown or duplicate run id, a rank that is not a worker) throws
// std::invalid_argument.
class Scheduler {
 public:
  explicit Scheduler(ClusterShape shape, SchedulerOptions options = {});

  // Queues a run. Throws std::invalid_argument for tp or dp < 1, negative flops, an id that is
  // pending or running, or a run that cannot fit the live ranks (WhyUnplaceable()).
  void Submit(const PendingRun& run);

  // Places as many pending runs as the policy allows on the free ranks, at time `now`
  // (seconds, any origin; non-decreasing across calls): every tp group inside one node, gangs
  // filled best-fit (the fullest node that holds the whole gang, else the fewest nodes).
  // The placed runs move to running.
  std::vector<Placement> Schedule(double now);

  // The run's gang finished after `seconds` of wall-clock: its ranks are free again (lost ones
  // excepted) and the throughput estimate learns from it.
  void OnFinished(const std::string& run_id, double seconds);
  // The run is given up (failed after its retries, or cancelled): ranks free, no measurement.
  void OnFailed(const std::string& run_id);
  // The running run goes back to the queue at its original queue position (a retry from its
  // checkpoint, or the run of a lost gang); its live ranks are free. If it no longer fits the
  // live ranks, it goes to the unplaceable list instead.
  void Requeue(const std::string& run_id);
  // These ranks went silent: they get no more work. Free ones leave the free set at once,
  // busy ones when their run ends or is requeued. Pending runs that can no longer fit the
  // remaining live ranks move to the unplaceable list. Ranks already lost are ignored.
  void MarkLost(const std::vector<int>& ranks);
  // Runs that cannot fit the live ranks any more (after MarkLost or Requeue), with why;
  // removed from the scheduler. The coordinator records them as failed.
  std::vector<std::pair<std::string, std::string>> TakeUnplaceable();

  // Empty when a tp × dp gang fits the live worker ranks (all of them free), else why not,
  // naming every factor ("tp 4 x dp 8 = 32 ranks: only 3 live workers on the largest node").
  std::string WhyUnplaceable(int tp, int dp) const;

  // Estimated seconds of a run on its own gang, with the current throughput.
  double EstimatedSeconds(const PendingRun& run) const;

  const ClusterShape& shape() const { return shape_; }
  const SchedulerOptions& options() const { return options_; }
  const ThroughputEstimate& throughput() const { return throughput_; }
  size_t pending_count() const { return pending_.size(); }
  size_t running_count() const { return running_.size(); }
  int free_rank_count() const { return free_total_; }
  int lost_rank_count() const { return lost_total_; }
  // Worker ranks that are neither free nor lost.
  int busy_rank_count() const;
  // Pending run ids in queue order.
  std::vector<std::string> PendingIds() const;
  // Ranks of a running run in gang order; empty when the run is not running.
  std::vector<int> RanksOf(const std::string& run_id) const;

 private:
  // Queue position: LPT sorts by `key` descending, FIFO ignores it; `seq` is the submission
  // number (unique), which breaks every tie.
  struct QueueKey {
    double key = 0;
    int ranks = 0;
    uint64_t seq = 0;
  };
  struct QueueOrder {
    SchedulingPolicy policy;
    bool operator()(const QueueKey& a, const QueueKey& b) const;
  };
  struct Pending {
    PendingRun run;
    QueueKey key;
  };
  struct Running {
    PendingRun run;
    QueueKey key;
    std::vector<int> ranks;
    double start = 0;
    double estimated_seconds = 0;
  };
  // The blocked first run's reservation (EASY): when it can start and the free ranks per node
  // at that time, less what backfilled runs that outlast it hold.
  struct Reservation {
    int tp = 1, dp = 1;
    double shadow_time = 0;
    std::vector<int> free_at_shadow;  // per node index
  };

  int NodeIndexOf(int rank) const;
  // Ranks for a tp × dp gang on the free ranks, in gang order; empty when it does not fit.
  std::vector<int> FindGang(int tp, int dp) const;
  static bool FitsCounts(int tp, int dp, const std::vector<int>& free_per_node);
  // Reservation for a blocked run; false when it cannot fit even after every running gang
  // ends (lost ranks).
  bool Reserve(const PendingRun& run, double now, Reservation* reservation) const;
  void Take(const std::vector<int>& ranks);
  void Release(const std::vector<int>& ranks);
  void Enqueue(const PendingRun& run, uint64_t seq);
  Running RemoveRunning(const std::string& run_id, const char* operation);
  std::vector<int> LiveCounts() const;

  ClusterShape shape_;
  SchedulerOptions options_;
  ThroughputEstimate throughput_;
  std::vector<int> node_ids_;                // node index -> node id, ascending
  std::unordered_map<int, int> rank_index_;  // world rank -> index in shape_.workers()
  std::vector<int> rank_node_;               // worker index -> node index
  std::vector<char> lost_;                   // worker index -> lost
  std::vector<std::set<int>> free_;          // node index -> free world ranks
  int free_total_ = 0;
  int lost_total_ = 0;
  uint64_t next_seq_ = 0;
  std::set<QueueKey, QueueOrder> queue_;
  std::unordered_map<uint64_t, Pending> pending_;  // by seq
  std::unordered_map<std::string, uint64_t> pending_ids_;
  std::map<std::pair<int, int>, int> pending_shapes_;  // (tp, dp) -> pending runs of it
  std::unordered_map<std::string, Running> running_;
  std::vector<std::pair<std::string, std::string>> unplaceable_;
};

}  // namespace florenz
