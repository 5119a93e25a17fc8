// The discrete-event replay (see simulation.h). Events are run finishes, kept in a min-heap by
// (time, start order), so equal times are processed in a fixed order and the result is
// deterministic.
#include "orchestrator/simulation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <queue>
#include <stdexcept>
#include <unordered_map>

#include "core/hash.h"
#include "orchestrator/run_cost.h"

namespace florenz {
namespace {

// Uniform in [-1, 1).
double Uniform(uint64_t seed, uint64_t index) {
  const uint64_t bits = SplitMix64(seed * 0x100000001b3ULL ^ SplitMix64(index));
  return static_cast<double>(bits >> 11) * 0x1.0p-53 * 2.0 - 1.0;
}

// A run's finish, or (`ready`) a branch becoming ready: its trunk reached the branch point.
struct Finish {
  double time;
  uint64_t order;  // start order: ties finish in the order they started
  std::string run_id;
  bool ready = false;
  bool operator>(const Finish& other) const {
    if (time != other.time) return time > other.time;
    return order > other.order;
  }
};

}  // namespace

std::vector<SimulatedRun> SimulatedRunsFromGrid(const std::vector<RunSpec>& runs) {
  std::vector<SimulatedRun> simulated;
  simulated.reserve(runs.size());
  std::unordered_map<std::string, const RunSpec*> by_id;
  for (const RunSpec& run : runs) by_id.emplace(run.id, &run);
  for (const RunSpec& run : runs) {
    SimulatedRun s{run.id, run.tp, run.dp, EstimateRunFlops(run), 0};
    auto trunk = by_id.find(run.trunk);
    if (!run.trunk.empty() && trunk != by_id.end()) {
      s.trunk = run.trunk;
      s.ready_fraction = static_cast<double>(run.branch_step * run.spec().training.batch_size) /
                         static_cast<double>(std::max<int64_t>(1, trunk->second->samples()));
    }
    simulated.push_back(std::move(s));
  }
  return simulated;
}

bool SimulationOptions::IsValid(std::string* error) const {
  if (!scheduler.IsValid(error)) return false;
  if (!(flops_per_rank_second > 0) || !std::isfinite(flops_per_rank_second)) {
    if (error != nullptr) *error = "flops_per_rank_second must be a finite number > 0";
    return false;
  }
  if (!(jitter >= 0 && jitter < 1)) {
    if (error != nullptr) *error = "jitter must be in [0, 1)";
    return false;
  }
  return true;
}

double SimulationResult::Ratio() const {
  return makespan > 0 && lower_bound > 0 ? makespan / lower_bound : 0;
}

std::string SimulationResult::BriefReport() const {
  if (!ok) return policy + ": not simulated";
  char line[256];
  std::snprintf(
      line, sizeof(line), "%s: makespan %s, utilisation %.1f %%, %.3f x lower bound, %d backfilled",
      policy.c_str(), HumanSeconds(makespan).c_str(), 100 * utilisation, Ratio(), backfilled);
  return line;
}

std::string HumanSeconds(double seconds) {
  char text[32];
  if (seconds < 60) {
    std::snprintf(text, sizeof(text), "%.3g s", seconds);
  } else if (seconds < 3600) {
    std::snprintf(text, sizeof(text), "%.3g min", seconds / 60);
  } else if (seconds < 86400 * 2) {
    std::snprintf(text, sizeof(text), "%.3g h", seconds / 3600);
  } else {
    std::snprintf(text, sizeof(text), "%.3g d", seconds / 86400);
  }
  return text;
}

SimulationResult Simulate(const ClusterShape& shape, const std::vector<SimulatedRun>& runs,
                          const SimulationOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw std::invalid_argument("simulation options: " + error);
  SimulationResult result;
  result.policy =
      std::string(ToString(options.scheduler.policy)) + "+" + ToString(options.scheduler.backfill);
  result.runs = static_cast<int>(runs.size());
  result.worker_ranks = shape.worker_count();

  Scheduler scheduler(shape, options.scheduler);
  std::unordered_map<std::string, size_t> index;
  std::unordered_map<std::string, std::vector<size_t>> branches;  // trunk id -> its branches
  for (size_t i = 0; i < runs.size(); ++i) index.emplace(runs[i].id, i);
  std::vector<double> duration(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    const SimulatedRun& run = runs[i];
    if (!run.trunk.empty() && index.count(run.trunk)) {
      branches[run.trunk].push_back(i);
    } else {
      scheduler.Submit(PendingRun{run.id, run.tp, run.dp, run.flops});
    }
    double seconds =
        run.seconds > 0 ? run.seconds : run.flops / (run.ranks() * options.flops_per_rank_second);
    if (options.jitter > 0) seconds *= 1 + options.jitter * Uniform(options.seed, i);
    duration[i] = seconds;
    result.work += seconds * run.ranks();
    result.longest_run = std::max(result.longest_run, seconds);
  }
  result.lower_bound = std::max(result.work / shape.worker_count(), result.longest_run);
  int granularity = 0;
  for (const SimulatedRun& run : runs) granularity = std::gcd(granularity, run.ranks());
  result.gang_granularity = std::max(1, granularity);
  result.usable_ranks = shape.worker_count() / result.gang_granularity * result.gang_granularity;
  result.packing_bound =
      result.usable_ranks > 0 ? std::max(result.work / result.usable_ranks, result.longest_run) : 0;

  std::priority_queue<Finish, std::vector<Finish>, std::greater<Finish>> events;
  std::unordered_map<int, bool> busy;  // world rank -> held by a running gang
  uint64_t started = 0;
  double now = 0;
  auto schedule = [&] {
    ++result.schedule_calls;
    for (Placement& placement : scheduler.Schedule(now)) {
      for (size_t g = 0; g < placement.ranks.size(); ++g) {
        const int rank = placement.ranks[g];
        if (busy[rank])
          throw std::logic_error("simulate: rank " + std::to_string(rank) + " double-booked");
        busy[rank] = true;
        if (shape.NodeOf(rank) != shape.NodeOf(placement.ranks[g - g % placement.tp])) {
          throw std::logic_error("simulate: a tensor-parallel group of " + placement.run_id +
                                 " spans nodes");
        }
      }
      const double end = now + duration[index.at(placement.run_id)];
      auto waiting = branches.find(placement.run_id);
      if (waiting != branches.end()) {  // a trunk: its branches become ready on the way
        for (const size_t b : waiting->second) {
          events.push(Finish{now + runs[b].ready_fraction * duration[index.at(placement.run_id)],
                             started++, runs[b].id, true});
        }
        branches.erase(waiting);
      }
      events.push(Finish{end, started++, placement.run_id});
      if (placement.backfilled) ++result.backfilled;
      if (options.record_timeline) {
        result.timeline.push_back(SimulatedPlacement{std::move(placement), now, end});
      }
    }
  };
  schedule();
  while (!events.empty()) {
    now = events.top().time;
    while (!events.empty() && events.top().time == now) {
      const std::string run_id = events.top().run_id;
      const bool ready = events.top().ready;
      events.pop();
      if (ready) {
        const SimulatedRun& run = runs[index.at(run_id)];
        scheduler.Submit(PendingRun{run.id, run.tp, run.dp, run.flops});
        continue;
      }
      for (const int rank : scheduler.RanksOf(run_id)) busy[rank] = false;
      scheduler.OnFinished(run_id, duration[index.at(run_id)]);
    }
    schedule();
  }
  if (scheduler.pending_count() != 0) {
    throw std::logic_error("simulate: " + std::to_string(scheduler.pending_count()) +
                           " runs never started");
  }
  result.makespan = now;
  result.utilisation =
      result.makespan > 0 ? result.work / (shape.worker_count() * result.makespan) : 0;
  result.final_flops_per_rank_second = scheduler.throughput().flops_per_rank_second();
  result.ok = true;
  return result;
}

}  // namespace florenz
