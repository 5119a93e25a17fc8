// How the grid's runs are executed: parallel layout, retries, checkpoints, limits, threads.
// None of these change what a run computes, so none enter a run's id.
#pragma once

#include <cstdint>

#include "experiments/spec_enums.h"

namespace florenz {

// Default parallel layout of every run; a size may override it.
struct ParallelOptions {
  int tensor_parallel = 1;
  int data_parallel = 1;

  template <class V>
  void VisitFields(V& v) {
    v("tensor_parallel", tensor_parallel);
    v("data_parallel", data_parallel);
  }
};

// A duration given as seconds (3600) or as "[[H:]MM:]SS" ("1:00:00").
struct Duration {
  int64_t seconds = 0;
};

struct ExecutionOptions {
  // Attempts after the first for a run that throws or diverges.
  int retries = 1;
  // Seen samples between checkpoints; 0 = only at the end of the run.
  int64_t checkpoint_interval = 0;
  // Wall-clock limit of one run; 0 = none.
  Duration time_limit;
  // A gang silent for this long is declared lost and its run requeued.
  Duration heartbeat_timeout{600};
  // The longest one collective (or one wait for the GPU) of a multi-rank gang may take before
  // the gang gives up on a member that is stuck or gone: the run then fails (and is retried);
  // NCCL communicators are aborted. A member that fails tells its gang at once, so this only
  // bounds silent losses (parallel/gang_watch.h, docs/orchestrator.md "When a rank fails").
  Duration collective_timeout{300};
  // LibTorch intra-op threads per rank; 0 = the cores this process may use.
  int threads = 0;
  // auto: each training rank takes its own CUDA GPU when LibTorch sees GPUs, else the CPU;
  // cpu; cuda: a GPU per training rank or an error before any run starts (docs/gpu.md).
  DeviceKind device = DeviceKind::kAuto;
  // Threads that generate and collate batches ahead of the training step; -1 = the default:
  // on a GPU the node's cores among its training ranks minus one, on the CPU none (the rank's
  // cores already compute). 0 = the batches are made in the training thread.
  int data_threads = -1;

  template <class V>
  void VisitFields(V& v) {
    v("retries", retries);
    v("checkpoint_interval", checkpoint_interval);
    v("time_limit", time_limit);
    v("heartbeat_timeout", heartbeat_timeout);
    v("collective_timeout", collective_timeout);
    v("threads", threads);
    v("device", device);
    v("data_threads", data_threads);
  }
};

}  // namespace florenz
