// `florenz simulate` (see simulate_command.h): loads the grid, builds the cluster shape, runs
// the simulation for every policy × backfilling combination and prints them side by side, the
// chosen one first and marked.
#include "cli/simulate_command.h"

#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "core/errors.h"
#include "experiments/grid_loader.h"
#include "core/exit_codes.h"
#include "orchestrator/simulation.h"
#include "workers/data/data_check.h"

namespace florenz {
namespace {

std::string Json(const std::string& text) {
  std::string out = "\"";
  for (const unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string Number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

std::string RankList(const std::vector<int>& ranks) {
  std::string text;
  for (size_t i = 0; i < ranks.size(); ++i) text += (i ? "," : "") + std::to_string(ranks[i]);
  return text;
}

}  // namespace

CLI::App* AddSimulateCommand(CLI::App& app, SimulateCommand* options) {
  CLI::App* command = app.add_subcommand(
      "simulate",
      "Replay the scheduler on a grid and a cluster shape, without training: prints makespan, "
      "utilisation and the lower bound max(total work / worker ranks, longest run) for "
      "longest-first (lpt) and grid-order (fifo) scheduling, with and without EASY "
      "backfilling. Run times are the runs' estimated FLOPs at --flops-per-rank "
      "(docs/orchestrator.md).");
  command->add_option("grid", options->grid, "Grid YAML file")->required();
  command->add_option("--ranks", options->ranks, "World size R, as mpirun -np R")
      ->required()
      ->check(CLI::Range(1, 1 << 20));
  command->add_option("--ranks-per-node", options->ranks_per_node, "Ranks per node K")
      ->required()
      ->check(CLI::Range(1, 1 << 20));
  command
      ->add_option("--coordinator", options->coordinator,
                   "slot: rank 0 coordinates in one of the R slots (R-1 workers); extra: it is "
                   "an additional process, all R ranks work")
      ->check(CLI::IsMember({"slot", "extra"}))
      ->capture_default_str();
  command->add_option("--policy", options->policy, "Queue order: lpt (longest first) or fifo")
      ->check(CLI::IsMember({"lpt", "fifo"}))
      ->capture_default_str();
  command->add_option("--backfill", options->backfill, "easy or none")
      ->check(CLI::IsMember({"easy", "none"}))
      ->capture_default_str();
  command
      ->add_option("--flops-per-rank", options->flops_per_rank,
                   "True speed of one rank in FLOP/s (the scheduler starts from 1e10 and "
                   "learns it from finished runs)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command
      ->add_option("--jitter", options->jitter,
                   "Relative noise of true run times against estimates, in [0, 1)")
      ->check(CLI::Range(0.0, 0.999))
      ->capture_default_str();
  command->add_option("--seed", options->seed, "Seed of the jitter")->capture_default_str();
  command->add_flag("--placements", options->placements,
                    "List every placement of the chosen policy (start, end, run, ranks)");
  command->add_flag("--json", options->json, "Print the results as JSON");
  return command;
}

int RunSimulateCommand(const SimulateCommand& options) {
  const LoadedGrid grid = LoadGrid(options.grid, data::CheckDataSpec);
  CoordinatorPlacement coordinator = CoordinatorPlacement::kSlot;
  FromString(options.coordinator, &coordinator);
  std::unique_ptr<ClusterShape> shape;
  try {
    shape = std::make_unique<ClusterShape>(
        ClusterShape::Uniform(options.ranks, options.ranks_per_node, coordinator));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(SourceLocation{"--ranks", 0, 0}, e.what());
  }
  const std::vector<SimulatedRun> runs = SimulatedRunsFromGrid(grid.runs);

  SimulationOptions chosen;
  FromString(options.policy, &chosen.scheduler.policy);
  FromString(options.backfill, &chosen.scheduler.backfill);
  chosen.flops_per_rank_second = options.flops_per_rank;
  chosen.jitter = options.jitter;
  chosen.seed = options.seed;
  chosen.record_timeline = options.placements;

  // The chosen combination first, then the other three in a fixed order.
  std::vector<SimulationOptions> variants{chosen};
  for (const SchedulingPolicy policy : {SchedulingPolicy::kLpt, SchedulingPolicy::kFifo}) {
    for (const BackfillMode backfill : {BackfillMode::kEasy, BackfillMode::kNone}) {
      if (policy == chosen.scheduler.policy && backfill == chosen.scheduler.backfill) continue;
      SimulationOptions other = chosen;
      other.scheduler.policy = policy;
      other.scheduler.backfill = backfill;
      other.record_timeline = false;
      variants.push_back(other);
    }
  }
  std::vector<SimulationResult> results;
  try {
    for (const SimulationOptions& variant : variants) {
      results.push_back(Simulate(*shape, runs, variant));
    }
  } catch (const std::invalid_argument& e) {
    throw ConfigError(SourceLocation{options.grid, 0, 0},
                      std::string(e.what()) + " (cluster: " + shape->Describe() + ")");
  }
  const SimulationResult& best = results.front();
  std::map<int, int> gangs;  // gang size -> runs
  double flops = 0;
  for (const SimulatedRun& run : runs) {
    ++gangs[run.ranks()];
    flops += run.flops;
  }

  std::ostringstream out;
  if (options.json) {
    out << "{\n  \"grid\": " << Json(grid.file)
        << ",\n  \"experiment\": " << Json(grid.spec.experiment.name)
        << ",\n  \"runs\": " << runs.size() << ",\n  \"world_ranks\": " << options.ranks
        << ",\n  \"ranks_per_node\": " << options.ranks_per_node
        << ",\n  \"coordinator\": " << Json(options.coordinator)
        << ",\n  \"worker_ranks\": " << shape->worker_count()
        << ",\n  \"nodes\": " << shape->node_count()
        << ",\n  \"estimated_flops\": " << Number(flops)
        << ",\n  \"flops_per_rank_second\": " << Number(options.flops_per_rank)
        << ",\n  \"work_rank_seconds\": " << Number(best.work)
        << ",\n  \"longest_run_seconds\": " << Number(best.longest_run)
        << ",\n  \"lower_bound_seconds\": " << Number(best.lower_bound)
        << ",\n  \"usable_ranks\": " << best.usable_ranks
        << ",\n  \"packing_bound_seconds\": " << Number(best.packing_bound)
        << ",\n  \"policy\": " << Json(best.policy) << ",\n  \"results\": [";
    for (size_t i = 0; i < results.size(); ++i) {
      const SimulationResult& r = results[i];
      out << (i ? ",\n" : "\n") << "    {\"policy\": " << Json(r.policy)
          << ", \"makespan_seconds\": " << Number(r.makespan)
          << ", \"utilisation\": " << Number(r.utilisation)
          << ", \"makespan_over_lower_bound\": " << Number(r.Ratio())
          << ", \"backfilled\": " << r.backfilled << "}";
    }
    out << "\n  ]";
    if (options.placements) {
      out << ",\n  \"placements\": [";
      for (size_t i = 0; i < best.timeline.size(); ++i) {
        const SimulatedPlacement& p = best.timeline[i];
        out << (i ? ",\n" : "\n") << "    {\"run\": " << Json(p.placement.run_id)
            << ", \"start\": " << Number(p.start) << ", \"end\": " << Number(p.end)
            << ", \"ranks\": [" << RankList(p.placement.ranks) << "]"
            << ", \"backfilled\": " << (p.placement.backfilled ? "true" : "false") << "}";
      }
      out << "\n  ]";
    }
    out << "\n}\n";
    std::cout << out.str();
    return kExitOk;
  }

  out << "florenz simulate: " << runs.size() << " runs of '" << grid.spec.experiment.name << "' on "
      << shape->Describe() << "; rank 0 coordinates ("
      << (coordinator == CoordinatorPlacement::kSlot
              ? "in one of the " + std::to_string(options.ranks) + " slots"
              : "as an extra process")
      << ")\n";
  out << "gangs:";
  for (const auto& [size, count] : gangs) {
    out << (size == gangs.begin()->first ? " " : ", ") << count << (count == 1 ? " run" : " runs")
        << " of " << size << (size == 1 ? " rank" : " ranks");
  }
  out << "; " << Number(flops) << " estimated FLOPs at " << Number(options.flops_per_rank)
      << " FLOP/s per rank";
  if (options.jitter > 0)
    out << ", jitter " << Number(options.jitter) << " (seed " << options.seed << ")";
  out << "\n";
  out << "lower bound " << HumanSeconds(best.lower_bound) << " = max(work / worker ranks "
      << HumanSeconds(best.work / shape->worker_count()) << ", longest run "
      << HumanSeconds(best.longest_run) << ")\n";
  if (best.usable_ranks < shape->worker_count()) {
    out << "gang sizes are multiples of " << best.gang_granularity << ": at most "
        << best.usable_ranks << " ranks can be busy at once, so no schedule beats "
        << HumanSeconds(best.packing_bound) << "\n";
  }
  out << "\n";
  char line[160];
  std::snprintf(line, sizeof(line), "%-12s %12s %12s %15s %11s\n", "policy", "makespan",
                "utilisation", "x lower bound", "backfilled");
  out << line;
  for (size_t i = 0; i < results.size(); ++i) {
    const SimulationResult& r = results[i];
    const std::string name = r.policy + (i == 0 ? " *" : "");
    std::snprintf(line, sizeof(line), "%-12s %12s %10.1f %% %15.3f %11d\n", name.c_str(),
                  HumanSeconds(r.makespan).c_str(), 100 * r.utilisation, r.Ratio(), r.backfilled);
    out << line;
  }
  out << "(* chosen: --policy " << options.policy << " --backfill " << options.backfill << ")\n";
  if (options.placements) {
    out << "\nplacements of " << best.policy << ":\n";
    for (const SimulatedPlacement& p : best.timeline) {
      std::snprintf(line, sizeof(line), "%12.1f s %12.1f s  ", p.start, p.end);
      out << line << p.placement.run_id << "  ranks " << RankList(p.placement.ranks)
          << (p.placement.backfilled ? "  (backfilled)" : "") << "\n";
    }
  }
  std::cout << out.str();
  return kExitOk;
}

}  // namespace florenz
