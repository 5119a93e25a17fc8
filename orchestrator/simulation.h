// Discrete-event replay of the scheduler on a cluster shape: every run is submitted at time 0
// (a branch of budget branching when its trunk reaches its branch point),
// each placement runs for its simulated duration, and the scheduler is called on every finish
// exactly as the coordinator would call it. What `florenz simulate`, its tests and
// bench/simulate.cc measure: makespan, utilisation and the lower bound.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/run_spec.h"
#include "orchestrator/cluster_shape.h"
#include "orchestrator/scheduler.h"

namespace florenz {

// One run to simulate.
struct SimulatedRun {
  std::string id;
  int tp = 1;
  int dp = 1;
  double flops = 0;  // estimated FLOPs: what the scheduler is told
  // True duration on its gang; 0 = flops / (tp·dp · SimulationOptions::flops_per_rank_second),
  // perturbed by the jitter.
  double seconds = 0;
  // Budget branching: a branch is submitted when its trunk (by id) has run this fraction of its
  // duration (its branch point); empty: submitted at time 0.
  std::string trunk;
  double ready_fraction = 0;
  int ranks() const { return tp * dp; }
};

// The runs of an expanded grid, in grid order, with EstimateRunFlops() as cost (with
// training.branching: a branch costs what it trains after its branch point, and waits for it).
std::vector<SimulatedRun> SimulatedRunsFromGrid(const std::vector<RunSpec>& runs);

struct SimulationOptions {
  // Policy, backfilling and the scheduler's initial throughput guess.
  SchedulerOptions scheduler;
  // True speed of a simulated rank in FLOP/s, > 0. When it differs from
  // scheduler.default_flops_per_rank_second, the first estimates are off by that factor until
  // the first run finishes and the scheduler has measured the real speed.
  double flops_per_rank_second = 1e10;
  // Relative noise of true durations against their estimates, in [0, 1): each run's duration
  // is multiplied by 1 + jitter·u, u uniform in [-1, 1] from `seed` and the run's index.
  double jitter = 0;
  uint64_t seed = 0;
  // Keep every placement with its start and end in SimulationResult::timeline.
  bool record_timeline = false;

  bool IsValid(std::string* error) const;
};

struct SimulatedPlacement {
  Placement placement;
  double start = 0;
  double end = 0;
};

// Starts in a failure state (`ok` false) and becomes valid when Simulate() returns.
struct SimulationResult {
  bool ok = false;
  std::string policy;  // "lpt+easy", "fifo+none", …
  int runs = 0;
  int worker_ranks = 0;
  double makespan = 0;     // seconds from the first start to the last finish
  double work = 0;         // Σ duration × gang size (rank-seconds)
  double longest_run = 0;  // longest duration of one run
  double lower_bound = 0;  // max(work / worker_ranks, longest_run)
  // Every gang size is a multiple of gang_granularity (their gcd), so at most usable_ranks =
  // floor(worker_ranks / granularity) × granularity ranks are busy at once; packing_bound =
  // max(work / usable_ranks, longest_run) is the tighter bound no schedule can beat.
  int gang_granularity = 1;
  int usable_ranks = 0;
  double packing_bound = 0;
  double utilisation = 0;                    // work / (worker_ranks × makespan)
  int backfilled = 0;                        // runs that started ahead of a blocked one
  int schedule_calls = 0;                    // events the scheduler was called on
  double final_flops_per_rank_second = 0;    // the scheduler's throughput estimate at the end
  std::vector<SimulatedPlacement> timeline;  // in placement order; with record_timeline

  // makespan / lower_bound (1 = optimal); 0 when either is 0.
  double Ratio() const;
  // One line: "lpt+easy: makespan 1.23 h, utilisation 91.2 %, 1.04 x lower bound".
  std::string BriefReport() const;
};

// Replays `runs` on `shape`. Throws std::invalid_argument for invalid options or a run that
// cannot fit the shape (Scheduler::WhyUnplaceable), and std::logic_error if the scheduler ever
// hands out a busy rank or a tensor-parallel group across nodes (checked on every placement).
SimulationResult Simulate(const ClusterShape& shape, const std::vector<SimulatedRun>& runs,
                          const SimulationOptions& options);

// "1.5 s", "12.3 min", "4.56 h", "2.1 d".
std::string HumanSeconds(double seconds);

}  // namespace florenz
