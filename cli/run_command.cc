// `florenz run` (see run_command.h): every rank loads the grid; rank 0 prepares the results
// folder and coordinates (coordinator.h), the others train what it assigns (job.h). Alone, the
// one process is coordinator and worker: the embedded mode. SIGTERM or SIGUSR2
// (workers/train/stop_request.h) makes every gang checkpoint; the command then exits
// kExitRequeue so a batch job can requeue itself.
#include "cli/run_command.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/corpus_preparation.h"
#include "core/errors.h"
#include "core/exit_codes.h"
#include "core/strings.h"
#include "experiments/grid_loader.h"
#include "experiments/results_dir.h"
#include "experiments/spec_writer.h"
#include "orchestrator/coordinator.h"
#include "orchestrator/core_binding.h"
#include "orchestrator/device_assignment.h"
#include "orchestrator/experiment_identity.h"
#include "orchestrator/job.h"
#include "orchestrator/mpi_session.h"
#include "orchestrator/worker_loop.h"
#include "parallel/mpi_check.h"
#include "workers/data/data_check.h"
#include "workers/data/shards/corpus_check.h"
#include "workers/data/shards/make_data_source.h"
#include "workers/train/device.h"
#include "workers/train/stop_request.h"
#include "workers/train/thread_count.h"

namespace florenz {
namespace {

// Writes the grid as the folder's experiment.yaml. A folder of the same experiment whose grid
// grew or shrank along its axes (experiment_identity.h) takes the new grid: its new runs are
// scheduled, runs no longer in it are left on disk untouched. Returns why the folder is
// refused (another experiment), or "".
std::string AdoptExperiment(const ResultsDir& results, const LoadedGrid& grid) {
  const std::string text = SpecToYaml(grid.spec);
  const auto file = results.ExperimentYaml();
  if (!std::filesystem::exists(file)) {
    results.WriteExperimentYaml(text);
    return "";
  }
  std::ifstream in(file);
  std::stringstream stored_text;
  stored_text << in.rdbuf();
  if (stored_text.str() == text) return "";
  std::string differ;
  try {
    differ = ExperimentDifference(
        LoadGridFromString(stored_text.str(), file.string(), data::CheckDataSpec).spec, grid.spec);
  } catch (const ConfigError&) {
    differ = "the stored experiment.yaml does not read as a grid";
  }
  if (!differ.empty()) {
    return "the folder holds a different experiment (" + differ +
           " differ from the grid being run); use a new output folder";
  }
  WriteFileAtomically(file, text);
  std::cout << "florenz run: " << results.root().string()
            << " holds this experiment with another set of runs; new runs are scheduled, runs "
               "no longer in the grid are left on disk\n";
  return "";
}

// The cores this process may use, shared among the training ranks of its node (rank 0 sleeps
// while it coordinates): the default of both LibTorch threads and input-pipeline threads.
int CoresPerTrainingRank(const MpiSession& mpi) {
  const int cores = train::ResolveThreadCount(0);
  if (!mpi.active()) return cores;
  MPI_Comm node = MPI_COMM_NULL;
  MPI_CHECK(
      MPI_Comm_split_type(mpi.comm(), MPI_COMM_TYPE_SHARED, mpi.rank(), MPI_INFO_NULL, &node));
  int local = 1, has_coordinator = mpi.rank() == 0 ? 1 : 0;
  MPI_CHECK(MPI_Comm_size(node, &local));
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &has_coordinator, 1, MPI_INT, MPI_MAX, node));
  MPI_Comm_free(&node);
  return std::max(1, cores / std::max(1, local - has_coordinator));
}

}  // namespace

CLI::App* AddRunCommand(CLI::App& app, RunCommand* options) {
  CLI::App* command = app.add_subcommand(
      "run",
      "Train every run of a grid into a results folder. Without mpirun the runs go one after "
      "another in this process. Finished runs are skipped: the same command again resumes. "
      "Exit code 3 when some runs failed (after execution.retries, or in an earlier command: "
      "--retry-failed trains them again); 1 when a run file cannot be read (--retrain); 4 when "
      "SIGTERM, SIGINT or SIGUSR2 stopped it after a checkpoint (run it again to resume). Runs "
      "that another florenz process on the same folder trains are skipped.");
  command->add_option("grid", options->grid, "Grid YAML file")->required();
  command->add_option("--out", options->out, "Results folder (docs/results-format.md)")->required();
  command
      ->add_option("--only", options->only,
                   "Train only these runs: one run id, or several separated by commas "
                   "(id1,id2,...)")
      ->each([options](const std::string&) { options->only_given = true; });
  command->add_flag("--retry-failed", options->retry_failed,
                    "Train again the runs whose files say failed (each failed file is moved "
                    "aside to runs/<id>.h5.failed-<n>); without it they are reported as failed "
                    "and the command exits 3");
  command
      ->add_option("--retrain", options->retrain,
                   "Train these runs again from step 0 (id1,id2,...), moving their files "
                   "aside to runs/<id>.h5.retrained-<n>: for a run file that cannot be read")
      ->each([options](const std::string&) { options->retrain_given = true; });
  command
      ->add_option("--device", options->device,
                   "Where training ranks run, overriding execution.device: auto (a GPU per "
                   "training rank when LibTorch sees GPUs, else the CPU), cpu, or cuda (an error "
                   "before any run starts where a rank has no GPU of its own)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  command
      ->add_option("--threads", options->threads,
                   "LibTorch threads per rank (default: execution.threads, else the cores "
                   "this process may use, capped by OMP_NUM_THREADS, shared among the "
                   "training ranks of its node under mpirun)")
      ->check(CLI::Range(0, 1024));
  return command;
}

// The run ids of a flag's comma-separated list (each once), every one checked against the
// grid; `given` says the flag was on the command line (an empty list is then an error).
static std::vector<std::string> RunIds(const LoadedGrid& grid, const std::string& list,
                                       const std::string& flag, const std::string& grid_file,
                                       bool given) {
  std::vector<std::string> ids;
  for (const std::string& id : SplitNonEmpty(list, ',')) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  std::vector<std::string> missing = ids;
  for (const auto& run : grid.runs) {
    missing.erase(std::remove(missing.begin(), missing.end(), run.id), missing.end());
  }
  if (given && (ids.empty() || !missing.empty())) {
    std::string names;
    for (const auto& id : missing) names += (names.empty() ? "" : ", ") + id;
    throw ConfigError(SourceLocation{grid_file, 0, 0},
                      flag + " '" + list + "': " +
                          (ids.empty() ? std::string("names no run id")
                                       : (missing.size() == 1 ? "no such run in the grid: "
                                                              : "no such runs in the grid: ") +
                                             names) +
                          " (florenz validate lists the ids)");
  }
  return ids;
}

int RunRunCommand(const RunCommand& options) {
  MpiSession mpi;                // alone: the embedded mode, no MPI
  train::InstallStopHandlers();  // after MPI_Init, so florenz's handlers win
  const bool coordinator = mpi.rank() == 0;
  const LoadedGrid grid = LoadGrid(options.grid, data::CheckGridData);
  // Each training rank's device, before anything is written: a missing or shared GPU ends
  // every rank with exit 2 (rank 0 says why).
  DeviceKind device_kind = grid.spec.execution.device;
  if (!options.device.empty()) FromString(options.device, &device_kind);
  const DeviceAssignment devices = AssignDevices(mpi.comm(), device_kind, train::VisibleGpuIds);
  if (!devices.error.empty()) {
    if (!coordinator) return kExitBadInput;
    throw ConfigError(
        SourceLocation{options.grid, 0, 0},
        devices.error + (options.device.empty() ? "" : " (--device " + options.device + ")"));
  }
  // On GPUs each training rank runs on the cores near its GPU, split among the ranks that
  // share them (core_plan.h), bound before it starts any thread of its own so that all of them
  // run there; its default thread counts are then those cores. Elsewhere, and where the plan
  // leaves a rank alone, the cores its launcher gave it, shared among the node's training ranks.
  CoreBinding bound;
  if (devices.cuda) {
    const bool trains = !(coordinator && mpi.active());
    const int index = trains ? std::stoi(devices.device.substr(5)) : -1;  // "cuda:<index>"
    bound = BindToGpuCores(mpi.comm(), trains, [index] { return CoresNearGpu(index); });
    if (trains) {
      std::cerr << "florenz run: rank " << mpi.rank() << " (" << devices.device << ") "
                << (bound.cores.empty() ? "keeps its launcher's cores: " + bound.note
                                        : "runs on cores " + FormatCpuList(bound.cores) +
                                              ", near its GPU")
                << "\n";
    }
  }
  Job job;
  job.device = devices.device;
  job.grid = &grid;
  // --only id1,id2,...: the runs keep the grid's order; every id must name a run.
  const std::vector<std::string> only =
      RunIds(grid, options.only, "--only", options.grid, options.only_given);
  for (const auto& run : grid.runs) {
    if (!options.only_given || std::find(only.begin(), only.end(), run.id) != only.end()) {
      job.runs.push_back(&run);
    }
  }
  job.retry_failed = options.retry_failed;
  job.retrain = RunIds(grid, options.retrain, "--retrain", options.grid, options.retrain_given);
  if (job.runs.empty()) {
    throw ConfigError(SourceLocation{options.grid, 0, 0}, "the grid has no runs");
  }
  ResultsDir results(options.out);
  // A shards grid's caches live in data.cache_dir, by default the results folder's cache/
  // (shared by every rank and node, never the user's dataset folder).
  ExperimentSpec spec = grid.spec;
  if (spec.data.source == DataSourceKind::kShards && spec.data.cache_dir.empty()) {
    spec.data.cache_dir = results.CacheDir().string();
  }
  // Rank 0 prepares the folder (refusing one that holds another experiment); the others
  // learn whether it could, so a refusal ends every rank instead of leaving them waiting.
  // Another experiment in the folder is bad input (exit 2); a folder that cannot be created or
  // written is an I/O failure (exit 1), as the README says.
  // A shards grid's indexes and token caches are made here too, before any rank reads them.
  std::string refusal, io_failure;
  std::optional<ConfigError> corpus_error;
  if (coordinator) {
    try {
      results.Create();
      refusal = AdoptExperiment(results, grid);
      if (refusal.empty()) PrepareCorpus(spec);
    } catch (const IoError& e) {
      io_failure = e.what();
    } catch (const ConfigError& e) {
      corpus_error = e;
    }
  }
  if (mpi.active()) {
    int refused = !refusal.empty() || corpus_error ? kExitBadInput
                  : !io_failure.empty()            ? kExitFailure
                                                   : 0;
    MPI_CHECK(MPI_Bcast(&refused, 1, MPI_INT, 0, mpi.comm()));
    if (refused != 0 && !coordinator) return refused;  // rank 0 says why
  }
  if (!io_failure.empty()) throw IoError(io_failure);
  if (corpus_error) throw *corpus_error;
  if (!refusal.empty()) {
    throw ConfigError(SourceLocation{results.ExperimentYaml().string(), 0, 0}, refusal);
  }
  const std::unique_ptr<data::DataSource> data = data::MakeDataSource(spec);
  job.data = data.get();
  job.results = &results;
  const int asked = options.threads > 0 ? options.threads : grid.spec.execution.threads;
  const int shared_cores = CoresPerTrainingRank(mpi);  // collective: every rank asks
  const int cores = bound.cores.empty() ? shared_cores : train::ResolveThreadCount(0);
  job.threads = asked > 0 ? train::ResolveThreadCount(asked) : cores;
  // Input-pipeline threads: on a GPU the rank's cores but the one that drives the GPU; on the
  // CPU none unless asked, since the rank's cores already compute.
  const int data_threads = grid.spec.execution.data_threads;
  job.data_threads = data_threads >= 0 ? data_threads : devices.cuda ? std::max(0, cores - 1) : 0;
  job.comm = mpi.comm();
  job.gangs = mpi.gangs();
  job.rank = mpi.rank();
  const ClusterShape shape = DetectJobShape(job, mpi.size());
  if (!coordinator) {
    WorkerLoop(job);
    return kExitOk;
  }
  std::cout << "florenz run: " << job.runs.size() << " runs of '" << grid.spec.experiment.name
            << "' -> " << options.out << " (" << (devices.cuda ? "CUDA, " : "") << job.threads
            << " threads"
            << (mpi.active() ? ", " + std::to_string(mpi.size() - 1) + " worker ranks" : "")
            << ")\n";
  const CoordinatorOutcome outcome = RunCoordinator(job, mpi.size(), shape);
  // A silent rank would never finalize.
  if (!outcome.lost_ranks.empty() || outcome.stuck) mpi.Abort(outcome.exit_code);
  return outcome.exit_code;
}

}  // namespace florenz
