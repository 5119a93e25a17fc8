// SiteProfile: what a Slurm site needs to run a florenz grid (partition, account, node shape,
// time limit, modules, environment, launcher, warning lead, extra #SBATCH options), read from
// cluster/profiles/*.yaml with the grid's SpecReader, so errors read FILE:LINE:COLUMN.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "experiments/execution_options.h"
#include "experiments/spec_enums.h"

namespace florenz::cluster {

// How the batch script starts `florenz run` on the allocation.
enum class LauncherKind {
  kSrun,    // srun [--mpi=<mpi>] …: one task per rank, Slurm places them (the usual choice)
  kMpirun,  // mpirun …: Open MPI reads the allocation from Slurm's environment
  kNone,    // florenz run directly in the batch shell: one process, no job step
};

struct LauncherOptions {
  LauncherKind kind = LauncherKind::kSrun;
  // srun only: the PMI plugin (`pmix`, `pmi2`, `none`); "" = the site's MpiDefault.
  std::string mpi;
  // Further arguments of the launcher, one token each (`--cpu-bind=cores`); checked against
  // the safe character set, then shell-quoted.
  std::vector<std::string> args;

  template <class V>
  void VisitFields(V& v) {
    v("kind", kind);
    v("mpi", mpi);
    v("args", args);
  }
};

struct SiteProfile {
  // Names the profile in job names and messages; 1–64 of A-Z a-z 0-9 . _ -.
  std::string name;
  // Slurm partition, account and QoS; "" leaves the choice to Slurm's defaults.
  std::string partition;
  std::string account;
  std::string qos;
  // Nodes per job, and tasks (ranks) per node: one rank per GPU on a GPU cluster.
  int nodes = 1;
  int tasks_per_node = 1;
  // GPUs per node (--gres=gpu:N); 0 on CPU partitions.
  int gpus_per_node = 0;
  // Cores per task; LibTorch's thread count follows it (OMP_NUM_THREADS).
  int cpus_per_task = 1;
  // Memory per node in Slurm's syntax (`4G`, `500M`, `0` = all of it); "" = the site default.
  std::string memory;
  // Wall-clock limit of one allocation; a requeued job gets a fresh one. At least 60 s
  // (Slurm counts minutes).
  Duration time_limit{3600};
  // How long before the time limit Slurm sends SIGUSR2 (--signal=B:USR2@<lead>). Must cover
  // a checkpoint; Slurm may send it up to a minute early.
  Duration warning_lead{120};
  // `module load` lines, in order.
  std::vector<std::string> modules;
  // Variables exported in the batch script; names [A-Za-z_][A-Za-z0-9_]*, values any text
  // without control characters (shell-quoted).
  std::map<std::string, std::string> environment;
  LauncherOptions launcher;
  // Extra #SBATCH options, only `--key=value` with a key of kAllowedSbatchOptions.
  std::vector<std::string> sbatch_options;
  // The florenz binary as the compute nodes see it; "" = the binary running `florenz submit`.
  std::string florenz;

  template <class V>
  void VisitFields(V& v) {
    v("name", name);
    v("partition", partition);
    v("account", account);
    v("qos", qos);
    v("nodes", nodes);
    v("tasks_per_node", tasks_per_node);
    v("gpus_per_node", gpus_per_node);
    v("cpus_per_task", cpus_per_task);
    v("memory", memory);
    v("time_limit", time_limit);
    v("warning_lead", warning_lead);
    v("modules", modules);
    v("environment", environment);
    v("launcher", launcher);
    v("sbatch_options", sbatch_options);
    v("florenz", florenz);
  }

  int tasks() const { return nodes * tasks_per_node; }
};

// The keys that `sbatch_options` may set; everything the script itself controls (output,
// signal, requeue, time, nodes, …) is not among them.
const std::vector<std::string>& AllowedSbatchOptions();

// Reads and validates the profile at `path`. Throws ConfigError with every problem as
// "FILE:LINE:COLUMN: message".
SiteProfile LoadSiteProfile(const std::string& path);
// Same, from text; `name` stands for the file in messages.
SiteProfile LoadSiteProfileFromString(const std::string& text, const std::string& name);

}  // namespace florenz::cluster

namespace florenz {
template <>
struct EnumNames<cluster::LauncherKind> {
  static const std::vector<std::pair<cluster::LauncherKind, std::string>>& Table();
  static const char* What() { return "launcher kind"; }
};
}  // namespace florenz
