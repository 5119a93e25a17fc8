// `florenz simulate` (see simulate_command.h): loads the grid, builds the cluster shape, runs
// the simulation for every policy × backfilling combination and prints them side by side, the
// chosen one first and marked.
#include "cli/simulate_command.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "core/errors.h"
#include "core/exit_codes.h"
#include "experiments/grid_expansion.h"
#include "experiments/grid_loader.h"
#include "orchestrator/simulation.h"
#include "workers/data/data_check.h"

namespace florenz {
namespace {

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
  command->add_flag("--branching", options->branching,
                    "What if the grid branched its budgets: simulate it with training.branching "
                    "(a wsd schedule, the grid's decay_fraction and warmup_samples) and compare "
                    "with every run trained alone");
  command->add_flag("--placements", options->placements,
                    "List every placement of the chosen policy (start, end, run, ranks)");
  command->add_flag("--json", options->json, "Print the results as JSON");
  return command;
}

namespace {

// The simulation of every policy × backfilling combination, the chosen one first.
struct Simulations {
  std::unique_ptr<ClusterShape> shape;
  std::vector<SimulatedRun> runs;
  std::vector<SimulationResult> results;  // results.front(): the chosen combination
  double flops = 0;                       // estimated FLOPs of every run
  // training.branching: the chosen combination with every run trained alone.
  std::optional<SimulationResult> without_branching;
  double flops_without_branching = 0;
};

// The chosen combination first, then the other three in a fixed order.
std::vector<SimulationOptions> Variants(const SimulateCommand& options) {
  SimulationOptions chosen;
  FromString(options.policy, &chosen.scheduler.policy);
  FromString(options.backfill, &chosen.scheduler.backfill);
  chosen.flops_per_rank_second = options.flops_per_rank;
  chosen.jitter = options.jitter;
  chosen.seed = options.seed;
  chosen.record_timeline = options.placements;
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
  return variants;
}

Simulations SimulateAll(const LoadedGrid& grid, const SimulateCommand& options) {
  Simulations s;
  CoordinatorPlacement coordinator = CoordinatorPlacement::kSlot;
  FromString(options.coordinator, &coordinator);
  try {
    s.shape = std::make_unique<ClusterShape>(
        ClusterShape::Uniform(options.ranks, options.ranks_per_node, coordinator));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(SourceLocation{"--ranks", 0, 0}, e.what());
  }
  s.runs = SimulatedRunsFromGrid(grid.runs);
  for (const SimulatedRun& run : s.runs) s.flops += run.flops;
  try {
    for (const SimulationOptions& variant : Variants(options)) {
      s.results.push_back(Simulate(*s.shape, s.runs, variant));
    }
    if (grid.spec.training.branching) {
      std::vector<RunSpec> alone = grid.runs;
      for (RunSpec& run : alone) {
        run.trunk.clear();
        run.branch_step = 0;
        run.branches.clear();
      }
      const std::vector<SimulatedRun> plain = SimulatedRunsFromGrid(alone);
      for (const SimulatedRun& run : plain) s.flops_without_branching += run.flops;
      SimulationOptions chosen = Variants(options).front();
      chosen.record_timeline = false;
      s.without_branching = Simulate(*s.shape, plain, chosen);
    }
  } catch (const std::invalid_argument& e) {
    throw ConfigError(SourceLocation{options.grid, 0, 0},
                      std::string(e.what()) + " (cluster: " + s.shape->Describe() + ")");
  }
  return s;
}

std::string SimulationJson(const LoadedGrid& grid, const SimulateCommand& options,
                           const Simulations& s) {
  const SimulationResult& best = s.results.front();
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const SimulationResult& r : s.results) {
    results.push_back({{"policy", r.policy},
                       {"makespan_seconds", r.makespan},
                       {"utilisation", r.utilisation},
                       {"makespan_over_lower_bound", r.Ratio()},
                       {"backfilled", r.backfilled}});
  }
  nlohmann::ordered_json json = {{"grid", grid.file},
                                 {"experiment", grid.spec.experiment.name},
                                 {"runs", s.runs.size()},
                                 {"world_ranks", options.ranks},
                                 {"ranks_per_node", options.ranks_per_node},
                                 {"coordinator", options.coordinator},
                                 {"worker_ranks", s.shape->worker_count()},
                                 {"nodes", s.shape->node_count()},
                                 {"estimated_flops", s.flops},
                                 {"flops_per_rank_second", options.flops_per_rank},
                                 {"work_rank_seconds", best.work},
                                 {"longest_run_seconds", best.longest_run},
                                 {"lower_bound_seconds", best.lower_bound},
                                 {"usable_ranks", best.usable_ranks},
                                 {"packing_bound_seconds", best.packing_bound},
                                 {"policy", best.policy},
                                 {"results", results}};
  if (s.without_branching) {
    json["without_branching"] = {{"estimated_flops", s.flops_without_branching},
                                 {"makespan_seconds", s.without_branching->makespan},
                                 {"utilisation", s.without_branching->utilisation}};
  }
  if (options.placements) {
    nlohmann::ordered_json placements = nlohmann::ordered_json::array();
    for (const SimulatedPlacement& p : best.timeline) {
      placements.push_back({{"run", p.placement.run_id},
                            {"start", p.start},
                            {"end", p.end},
                            {"ranks", p.placement.ranks},
                            {"backfilled", p.placement.backfilled}});
    }
    json["placements"] = placements;
  }
  return json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

// The header: the grid, the cluster, the gangs and the lower bound.
std::string SimulationHeader(const LoadedGrid& grid, const SimulateCommand& options,
                             const Simulations& s) {
  const SimulationResult& best = s.results.front();
  std::map<int, int> gangs;  // gang size -> runs
  for (const SimulatedRun& run : s.runs) ++gangs[run.ranks()];
  std::ostringstream out;
  out << "florenz simulate: " << s.runs.size() << " runs of '" << grid.spec.experiment.name
      << "' on " << s.shape->Describe() << "; rank 0 coordinates ("
      << (options.coordinator == "slot"
              ? "in one of the " + std::to_string(options.ranks) + " slots"
              : "as an extra process")
      << ")\n";
  out << "gangs:";
  for (const auto& [size, count] : gangs) {
    out << (size == gangs.begin()->first ? " " : ", ") << count << (count == 1 ? " run" : " runs")
        << " of " << size << (size == 1 ? " rank" : " ranks");
  }
  out << "; " << Number(s.flops) << " estimated FLOPs at " << Number(options.flops_per_rank)
      << " FLOP/s per rank";
  if (options.jitter > 0)
    out << ", jitter " << Number(options.jitter) << " (seed " << options.seed << ")";
  out << "\n";
  out << "lower bound " << HumanSeconds(best.lower_bound) << " = max(work / worker ranks "
      << HumanSeconds(best.work / s.shape->worker_count()) << ", longest run "
      << HumanSeconds(best.longest_run) << ")\n";
  if (best.usable_ranks < s.shape->worker_count()) {
    out << "gang sizes are multiples of " << best.gang_granularity << ": at most "
        << best.usable_ranks << " ranks can be busy at once, so no schedule beats "
        << HumanSeconds(best.packing_bound) << "\n";
  }
  return out.str();
}

// The table of the four combinations and, when asked, the chosen one's placements.
std::string SimulationTable(const SimulateCommand& options, const Simulations& s) {
  std::ostringstream out;
  char line[160];
  std::snprintf(line, sizeof(line), "%-12s %12s %12s %15s %11s\n", "policy", "makespan",
                "utilisation", "x lower bound", "backfilled");
  out << line;
  for (size_t i = 0; i < s.results.size(); ++i) {
    const SimulationResult& r = s.results[i];
    const std::string name = r.policy + (i == 0 ? " *" : "");
    std::snprintf(line, sizeof(line), "%-12s %12s %10.1f %% %15.3f %11d\n", name.c_str(),
                  HumanSeconds(r.makespan).c_str(), 100 * r.utilisation, r.Ratio(), r.backfilled);
    out << line;
  }
  out << "(* chosen: --policy " << options.policy << " --backfill " << options.backfill << ")\n";
  if (s.without_branching) {
    const SimulationResult& with = s.results.front();
    std::snprintf(line, sizeof(line),
                  "budget branching: makespan %s, %s without it (%.2fx); FLOPs %.3g, %.3g without "
                  "(%.2fx)\n",
                  HumanSeconds(with.makespan).c_str(),
                  HumanSeconds(s.without_branching->makespan).c_str(),
                  s.without_branching->makespan / std::max(1e-12, with.makespan), s.flops,
                  s.flops_without_branching, s.flops_without_branching / std::max(1.0, s.flops));
    out << line;
  }
  if (options.placements) {
    const SimulationResult& best = s.results.front();
    out << "\nplacements of " << best.policy << ":\n";
    for (const SimulatedPlacement& p : best.timeline) {
      std::snprintf(line, sizeof(line), "%12.1f s %12.1f s  ", p.start, p.end);
      out << line << p.placement.run_id << "  ranks " << RankList(p.placement.ranks)
          << (p.placement.backfilled ? "  (backfilled)" : "") << "\n";
    }
  }
  return out.str();
}

// The grid as if trained with budget branching (--branching).
LoadedGrid WithBranching(LoadedGrid grid, const std::string& file) {
  TrainingOptions& t = grid.spec.training;
  if (t.schedule.warmup_samples <= 0 && t.schedule.warmup_samples_per_param <= 0 &&
      t.schedule.warmup_fraction > 0) {
    throw ConfigError(
        SourceLocation{file, 0, 0},
        "--branching: the grid's warm-up is a fraction of each budget; budgets "
        "branch only with training.schedule.warmup_samples or warmup_samples_per_param");
  }
  t.schedule.kind = ScheduleKind::kWsd;
  t.branching = true;
  grid.runs = ExpandGrid(grid.spec);
  return grid;
}

}  // namespace

int RunSimulateCommand(const SimulateCommand& options) {
  LoadedGrid grid = LoadGrid(options.grid, data::CheckDataSpec);
  if (options.branching && !grid.spec.training.branching) {
    grid = WithBranching(std::move(grid), options.grid);
  }
  const Simulations simulations = SimulateAll(grid, options);
  if (options.json) {
    std::cout << SimulationJson(grid, options, simulations);
  } else {
    std::cout << SimulationHeader(grid, options, simulations) << "\n"
              << SimulationTable(options, simulations);
  }
  return kExitOk;
}

}  // namespace florenz
