// `florenz simulate GRID --ranks R --ranks-per-node K [--policy lpt|fifo] [--json]`: replays
// the scheduler on the grid's runs and a cluster shape (orchestrator/simulation.h) and prints
// makespan, utilisation and the lower bound, for the chosen policy and the others beside it.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace florenz {

struct SimulateCommand {
  std::string grid;
  // World size as `mpirun -np R` would start it, and ranks per node (node-major placement).
  int ranks = 0;
  int ranks_per_node = 0;
  // "slot": rank 0 (the coordinator) takes one of the R slots; "extra": it is an R+1-th process.
  std::string coordinator = "slot";
  std::string policy = "lpt";     // lpt | fifo
  std::string backfill = "easy";  // easy | none
  // True speed of a rank (FLOP/s); the scheduler starts from its own default and learns it.
  double flops_per_rank = 1e10;
  // Relative noise of true run times against the estimates, in [0, 1), and its seed.
  double jitter = 0;
  uint64_t seed = 0;
  bool placements = false;  // list every placement of the chosen policy
  bool json = false;
  // What if: the grid with budget branching (a wsd schedule with its decay_fraction and
  // warmup_samples, training.branching on), compared with the same runs trained alone.
  bool branching = false;
};

CLI::App* AddSimulateCommand(CLI::App& app, SimulateCommand* options);
// 0, or 2 (bad grid, or a run that cannot fit the cluster shape).
int RunSimulateCommand(const SimulateCommand& options);

}  // namespace florenz
