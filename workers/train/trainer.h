// Training one run of the grid: the model from the run's size and seed, AdamW with the run's
// schedule, the data stream of the run's seed, every loss logged to the run's HDF5 file,
// evaluation CE per pair, checkpoints, and exact resume from the last checkpoint.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "experiments/results_dir.h"
#include "experiments/run_file_writer.h"
#include "experiments/run_spec.h"
#include "workers/data/data_source.h"

namespace torch::nn {
class Module;
}

namespace florenz {
class ProcessGroups;
}

namespace florenz::train {

// A snapshot for progress lines, sent every log interval.
struct TrainProgress {
  int64_t step = 0;
  int64_t steps = 0;
  int64_t samples = 0;
  int64_t budget = 0;
  double loss = 0;
  double samples_per_second = 0;
  double seconds = 0;
  bool resumed = false;  // this attempt started from a checkpoint
};

struct RunContext {
  const ResultsDir* results = nullptr;
  // LibTorch intra-op threads (0 = the cores this process may use).
  int threads = 0;
  // Where the run's tensors live: "cpu" or "cuda:<index>" (orchestrator/device_plan.h picks it).
  // A gang on CUDA talks NCCL: its ProcessGroups must then be built with Backend::kNccl.
  std::string device = "cpu";
  // Background threads making the batches of the coming steps (batch_pipeline.h); 0 = made in
  // the training thread.
  int data_threads = 0;
  // Called on the gang leader (gang rank 0) every log interval.
  std::function<void(const TrainProgress&)> on_progress;
  // The gang of tp × dp ranks training this run (parallel/process_groups.h), not owned; null:
  // this process alone (the run must then have tensor_parallel = data_parallel = 1).
  ProcessGroups* groups = nullptr;
  // Called on every rank with the trained model (this rank's shard) before the final
  // evaluation: for tests and benchmarks that inspect the parameters.
  std::function<void(torch::nn::Module&)> on_trained;
  // A trunk (training.branching) wrote the checkpoint a branch starts from: called on the gang
  // leader with the branch's run id, once every shard of it is on disk.
  std::function<void(const std::string&)> on_branch_ready;
};

struct RunOutcome {
  RunStatus status = RunStatus::kFailed;
  std::string reason;
  std::map<std::string, double> final_metrics;
  double seconds = 0;              // wall-clock of this attempt, evaluation included
  double evaluation_seconds = 0;   // of which evaluation
  double input_stall_seconds = 0;  // of which training waited for the input pipeline
  // Data-parallel gradient all-reduces this rank started, and its buckets: one all-reduce per
  // bucket and optimizer step, however many micro-batches a step has (0 and 0 at dp = 1).
  int64_t gradient_allreduces = 0;
  int gradient_buckets = 0;
  std::filesystem::path file;
};

// Trains `run` to its budget, resuming from its checkpoint when there is one, and commits
// its run file (status completed). With context.groups every rank of the gang calls it: each
// trains its data shard of every batch with its model shard; the leader writes the run file,
// dp rank 0 of each tp rank its checkpoint shard. Throws RunError when the loss diverges ("diverged
// at step S (loss = nan)") and lets other exceptions through: the caller's run boundary retries or
// calls CommitFailedRun.
RunOutcome TrainRun(const RunSpec& run, const data::DataSource& data, const RunContext& context);

// Commits `run`'s file with status failed and `reason`, keeping every row its .partial holds.
std::filesystem::path CommitFailedRun(const RunSpec& run, const data::DataSource& data,
                                      const ResultsDir& results, const std::string& reason);

}  // namespace florenz::train
