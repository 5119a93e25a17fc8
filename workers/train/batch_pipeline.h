// BatchPipeline: the training loop's input pipeline. Background threads generate and collate
// the batches of the coming steps (a few steps ahead) while the device trains on the current
// one; the loop takes them strictly in step order. A step's batches are a pure function of the
// step (the data is a function of the run's seed and the sample index), so what the loop
// receives never depends on timing or on the number of threads.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "workers/model/batch.h"

namespace florenz::train {

// The inputs of one optimizer step on this rank: its micro-batches, in order.
using StepInputs = std::vector<model::Batch>;

class BatchPipeline {
 public:
  using MakeInputs = std::function<StepInputs(int64_t step)>;

  // Steps [first_step, end_step). With threads = 0 every Next() calls make in the caller's
  // thread (the synchronous path); otherwise `threads` workers keep up to `depth` steps made
  // ahead of the one the loop consumes. `make` must be safe to call from several threads.
  BatchPipeline(MakeInputs make, int64_t first_step, int64_t end_step, int threads, int depth = 4);
  // Stops the workers (the steps they are making are finished and dropped).
  ~BatchPipeline();
  BatchPipeline(const BatchPipeline&) = delete;
  BatchPipeline& operator=(const BatchPipeline&) = delete;

  // The inputs of the next step. Rethrows what `make` threw for that step. Calling it past
  // end_step is a bug.
  StepInputs Next();

  // Seconds Next() waited for a worker so far: the time the input pipeline stalled training.
  double stall_seconds() const { return stall_seconds_; }

 private:
  void Work();

  MakeInputs make_;
  const int64_t end_step_;
  const int depth_;
  int64_t next_to_make_;     // the next step a worker takes
  int64_t next_to_consume_;  // the step Next() returns next
  std::map<int64_t, StepInputs> ready_;
  std::map<int64_t, std::exception_ptr> failed_;
  bool stopping_ = false;
  double stall_seconds_ = 0;
  std::mutex mutex_;
  std::condition_variable made_;   // a step is ready (or failed)
  std::condition_variable space_;  // the loop consumed a step: workers may go ahead
  std::vector<std::thread> workers_;
};

}  // namespace florenz::train
