// Dispatch throughput of the coordinator (issue 7): `mpiexec -n 4 bench_dispatch [runs]`. Rank
// 0 runs the real coordinator (scheduler, Assign, Done handling, the run table) over a grid of
// `runs` runs (default 10,000: one tiny size × one budget × that many seeds); the three
// workers run the real worker loop, but each run does nothing (Job::execute returns Done at
// once), so what is timed is scheduling and messaging alone. For scale: a Slurm job array
// starts a few tasks per second, NERSC's TaskFarmer 5-10 per second. Target ≥ 1,000 runs/s.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "experiments/grid_loader.h"
#include "orchestrator/coordinator.h"
#include "orchestrator/mpi_session.h"
#include "orchestrator/worker_loop.h"

namespace {

std::string Grid(int runs) {
  std::string seeds;
  for (int s = 0; s < runs; ++s) seeds += (s ? ", " : "") + std::to_string(s);
  return "experiment: {name: dispatch, seeds: [" + seeds +
         "]}\n"
         "data:\n"
         "  languages: [en, de]\n"
         "  coverage: {caption: {en: train, de: eval}, translate: {de: train}}\n"
         "model:\n"
         "  sizes: [{name: tiny, d_model: 16, layers: 1, heads: 2, ffn: 32}]\n"
         "training: {budgets: [320], batch_size: 32}\n";
}

florenz::Message NothingToTrain(const florenz::Job&, int run, const std::vector<int>&, int,
                                const std::function<void(const florenz::Message&)>&) {
  return florenz::Done{run, 0.0, 0.0, std::nan("")};
}

}  // namespace

int main(int argc, char** argv) {
  using namespace florenz;
  const int runs = argc > 1 ? std::stoi(argv[1]) : 10000;
  MpiSession mpi;
  if (!mpi.active() || mpi.size() < 2) {
    std::fprintf(stderr, "run under mpiexec with ≥ 2 ranks: mpiexec -n 4 %s\n", argv[0]);
    return 2;
  }
  const auto load_started = std::chrono::steady_clock::now();
  const LoadedGrid grid = LoadGridFromString(Grid(runs), "dispatch.yaml");
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_started).count();
  const auto folder = std::filesystem::temp_directory_path() / "florenz_bench_dispatch";
  ResultsDir results(folder);
  if (mpi.rank() == 0) {
    std::filesystem::remove_all(folder);
    results.Create();
  }
  MPI_Barrier(mpi.comm());
  Job job;
  job.grid = &grid;
  for (const auto& run : grid.runs) job.runs.push_back(&run);
  job.results = &results;
  job.comm = mpi.comm();
  job.rank = mpi.rank();
  job.execute = NothingToTrain;
  const ClusterShape shape = DetectJobShape(job, mpi.size());
  if (mpi.rank() != 0) {
    WorkerLoop(job);
    return 0;
  }
  // The coordinator's per-run lines go to /dev/null: the terminal is not what is measured.
  std::fflush(stdout);
  const int saved = dup(STDOUT_FILENO);
  const int null = open("/dev/null", O_WRONLY);
  dup2(null, STDOUT_FILENO);
  const auto started = std::chrono::steady_clock::now();
  const int code = RunCoordinator(job, mpi.size(), shape).exit_code;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(null);
  std::printf(
      "dispatch: %zu runs on %d worker ranks in %.3f s = %.0f runs/s (exit %d; grid "
      "expansion %.2f s, not counted)\n",
      job.runs.size(), mpi.size() - 1, seconds, job.runs.size() / seconds, code, load_seconds);
  std::filesystem::remove_all(folder);
  return code;
}
