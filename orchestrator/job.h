// Job: what every rank of one `florenz run` knows — the grid's runs to train (the same list, in
// the same order, on every rank, so messages name runs by index), the data, the results folder,
// the thread count, and the job's communicator (null in the embedded serial mode).
#pragma once

#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

#include "experiments/grid_loader.h"
#include "experiments/results_dir.h"
#include "orchestrator/protocol.h"
#include "workers/data/data_source.h"

namespace florenz {

struct Job {
  const LoadedGrid* grid = nullptr;
  std::vector<const RunSpec*> runs;  // the runs this command trains (--only selects one)
  const data::DataSource* data = nullptr;
  const ResultsDir* results = nullptr;
  int threads = 1;
  // This rank's device ("cpu", "cuda:<index>"; "" on a coordinator that trains nothing) and its
  // input-pipeline threads (orchestrator/device_assignment.h, workers/train/batch_pipeline.h).
  std::string device = "cpu";
  int data_threads = 0;
  // Runs whose file says failed are trained again (their failed file set aside) instead of
  // being reported as failed (`florenz run --retry-failed`).
  bool retry_failed = false;
  // Runs trained again from scratch whatever their file says, it set aside (`--retrain`).
  std::vector<std::string> retrain;
  MPI_Comm comm = MPI_COMM_NULL;  // the job's duplicate of MPI_COMM_WORLD; null: one process
  // Gangs are created from this duplicate and send their failure notices over it
  // (parallel/gang_watch.h): never over `comm`, whose protocol receivers take any tag.
  MPI_Comm gangs = MPI_COMM_NULL;
  int rank = 0;  // world rank
  // What a worker does with an Assign: ExecuteRun (worker_loop.h) unless replaced, e.g. by
  // bench/dispatch.cc, which measures the coordinator with runs that do nothing.
  std::function<Message(const Job&, int run, const std::vector<int>& ranks, int tag,
                        const std::function<void(const Message&)>& progress)>
      execute;
};

}  // namespace florenz
