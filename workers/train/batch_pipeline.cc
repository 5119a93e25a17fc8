// BatchPipeline (see batch_pipeline.h): workers claim steps in order under one mutex, make
// them without it, and park them in a map keyed by step until the loop asks for that step.
#include "workers/train/batch_pipeline.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "core/errors.h"
#include "workers/train/thread_count.h"

namespace florenz::train {

BatchPipeline::BatchPipeline(MakeInputs make, int64_t first_step, int64_t end_step, int threads,
                             int depth)
    : make_(std::move(make)),
      end_step_(end_step),
      depth_(std::max(1, depth)),
      next_to_make_(first_step),
      next_to_consume_(first_step) {
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

BatchPipeline::~BatchPipeline() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  space_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void BatchPipeline::Work() {
  SerialComputeInThisThread();  // the rank's cores compute its step; collating stays serial
  for (;;) {
    int64_t step = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      space_.wait(lock, [&] {
        return stopping_ || next_to_make_ >= end_step_ || next_to_make_ < next_to_consume_ + depth_;
      });
      if (stopping_ || next_to_make_ >= end_step_) return;
      step = next_to_make_++;
    }
    StepInputs inputs;
    std::exception_ptr error;
    try {
      inputs = make_(step);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (error) {
        failed_[step] = error;
      } else {
        ready_[step] = std::move(inputs);
      }
    }
    made_.notify_all();
  }
}

StepInputs BatchPipeline::Next() {
  if (next_to_consume_ >= end_step_) {
    throw RunError("input pipeline: asked for step " + std::to_string(next_to_consume_ + 1) +
                   " of a run of " + std::to_string(end_step_) + " steps");
  }
  const int64_t step = next_to_consume_;
  if (workers_.empty()) {
    ++next_to_consume_;
    return make_(step);
  }
  std::unique_lock<std::mutex> lock(mutex_);
  auto available = [&] { return ready_.count(step) > 0 || failed_.count(step) > 0; };
  if (!available()) {
    const auto started = std::chrono::steady_clock::now();
    made_.wait(lock, available);
    stall_seconds_ +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
  ++next_to_consume_;
  if (auto failure = failed_.find(step); failure != failed_.end()) {
    const std::exception_ptr error = failure->second;
    failed_.erase(failure);
    lock.unlock();
    space_.notify_all();
    std::rethrow_exception(error);
  }
  auto node = ready_.extract(step);
  lock.unlock();
  space_.notify_all();
  return std::move(node.mapped());
}

}  // namespace florenz::train
