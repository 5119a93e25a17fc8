// `florenz simulate` at scale and on the paper's grid: (1) a 10,000-run grid (100 sizes with
// gangs of 1-32 ranks × 100 budgets) loaded, costed and replayed on 1,024 ranks (issue budget:
// < 10 s); (2) experiments/grids/florenz_paper.yaml on 8 nodes × 8 ranks, LPT's makespan
// against the lower bound (target within 10 %) and FIFO's (target below). Baselines in the
// same run: FIFO, with and without backfilling, and the lower bounds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "bench/bench_util.h"
#include "experiments/grid_loader.h"
#include "orchestrator/simulation.h"

namespace {

using florenz::BackfillMode;
using florenz::ClusterShape;
using florenz::CoordinatorPlacement;
using florenz::SchedulingPolicy;
using florenz::SimulationOptions;
using florenz::SimulationResult;

// 100 sizes (tp 1, 2 or 4; dp 1, 2, 4 or 8: gangs of 1-32 ranks) × 100 budgets.
std::string BigGrid() {
  std::string text =
      "experiment: {name: big, seeds: [0]}\n"
      "data:\n" +
      std::string(florenz::bench::kSixLanguages) + "model:\n  sizes:\n";
  for (int i = 0; i < 100; ++i) {
    const int d = 32 + 8 * i;
    text += "    - {name: d" + std::to_string(i) + ", d_model: " + std::to_string(d) +
            ", layers: 2, heads: 4, ffn: " + std::to_string(4 * d) +
            ", tensor_parallel: " + std::to_string(1 << (i % 3)) +
            ", data_parallel: " + std::to_string(1 << (i / 3 % 4)) + "}\n";
  }
  text += "training:\n  batch_size: 64\n  budgets: [";
  for (int j = 0; j < 100; ++j) text += (j ? ", " : "") + std::to_string(1000 * (j + 1));
  return text + "]\n";
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

SimulationOptions Options(SchedulingPolicy policy, BackfillMode backfill, double flops) {
  SimulationOptions options;
  options.scheduler.policy = policy;
  options.scheduler.backfill = backfill;
  options.flops_per_rank_second = flops;
  return options;
}

void PrintRow(const char* label, const SimulationResult& r, double seconds) {
  std::printf(
      "  %-10s makespan %-10s utilisation %5.1f %%  %.3f x lower bound  %.3f x packing"
      " bound  (%.3f s)\n",
      label, florenz::HumanSeconds(r.makespan).c_str(), 100 * r.utilisation, r.Ratio(),
      r.makespan / r.packing_bound, seconds);
}

}  // namespace

int main() {
  // (1) 10,000 runs on 1,024 ranks (8 per node, rank 0 in a slot: 1,023 workers).
  auto start = std::chrono::steady_clock::now();
  const florenz::LoadedGrid big = florenz::LoadGridFromString(BigGrid(), "big.yaml");
  const double load_s = Seconds(start);
  start = std::chrono::steady_clock::now();
  const auto runs = florenz::SimulatedRunsFromGrid(big.runs);
  const double cost_s = Seconds(start);
  const ClusterShape cluster = ClusterShape::Uniform(1024, 8);
  std::printf("simulate: %zu runs on %s\n", runs.size(), cluster.Describe().c_str());
  std::printf("  load+validate+expand %.3f s, cost estimates %.3f s\n", load_s, cost_s);
  std::vector<double> lpt_times;
  SimulationResult lpt;
  for (int repeat = 0; repeat < 3; ++repeat) {
    start = std::chrono::steady_clock::now();
    lpt = florenz::Simulate(cluster, runs,
                            Options(SchedulingPolicy::kLpt, BackfillMode::kEasy, 1e10));
    lpt_times.push_back(Seconds(start));
  }
  std::sort(lpt_times.begin(), lpt_times.end());
  std::printf("  lower bound %s (work / ranks %s, longest run %s)\n",
              florenz::HumanSeconds(lpt.lower_bound).c_str(),
              florenz::HumanSeconds(lpt.work / lpt.worker_ranks).c_str(),
              florenz::HumanSeconds(lpt.longest_run).c_str());
  PrintRow("lpt+easy", lpt, lpt_times[1]);
  for (const auto& [label, policy, backfill] :
       {std::tuple{"fifo+easy", SchedulingPolicy::kFifo, BackfillMode::kEasy},
        std::tuple{"lpt+none", SchedulingPolicy::kLpt, BackfillMode::kNone},
        std::tuple{"fifo+none", SchedulingPolicy::kFifo, BackfillMode::kNone}}) {
    start = std::chrono::steady_clock::now();
    const auto r = florenz::Simulate(cluster, runs, Options(policy, backfill, 1e10));
    PrintRow(label, r, Seconds(start));
  }
  std::printf("  end to end (load + costs + lpt+easy median of 3): %.3f s; %d scheduler calls\n",
              load_s + cost_s + lpt_times[1], lpt.schedule_calls);

  // (2) The paper's grid on 8 nodes × 8 ranks at 1e14 FLOP/s a rank.
  const florenz::LoadedGrid paper =
      florenz::LoadGrid(std::string(FLORENZ_SOURCE_DIR) + "/experiments/grids/florenz_paper.yaml");
  const auto paper_runs = florenz::SimulatedRunsFromGrid(paper.runs);
  for (const auto coordinator : {CoordinatorPlacement::kSlot, CoordinatorPlacement::kExtra}) {
    const ClusterShape nodes = ClusterShape::Uniform(64, 8, coordinator);
    std::printf("florenz_paper.yaml: %zu runs on %s, coordinator %s\n", paper_runs.size(),
                nodes.Describe().c_str(), florenz::ToString(coordinator));
    SimulationResult first;
    for (const auto& [label, policy, backfill] :
         {std::tuple{"lpt+easy", SchedulingPolicy::kLpt, BackfillMode::kEasy},
          std::tuple{"lpt+none", SchedulingPolicy::kLpt, BackfillMode::kNone},
          std::tuple{"fifo+easy", SchedulingPolicy::kFifo, BackfillMode::kEasy},
          std::tuple{"fifo+none", SchedulingPolicy::kFifo, BackfillMode::kNone}}) {
      start = std::chrono::steady_clock::now();
      const auto r = florenz::Simulate(nodes, paper_runs, Options(policy, backfill, 1e14));
      if (first.runs == 0) {
        first = r;
        std::printf("  lower bound %s, packing bound %s (%d usable ranks)\n",
                    florenz::HumanSeconds(r.lower_bound).c_str(),
                    florenz::HumanSeconds(r.packing_bound).c_str(), r.usable_ranks);
      }
      PrintRow(label, r, Seconds(start));
    }
  }
  return 0;
}
