// The learning-rate schedule of a run: linear warm-up, then cosine decay, warmup-stable-decay
// or constant, all tied to the run's own step count (each sample budget is its own run with
// its own schedule, as the paper). Pure arithmetic, no LibTorch.
#pragma once

#include <cstdint>

#include "experiments/training_options.h"

namespace florenz::train {

// The share of the way from the peak to the floor after a fraction t in [0, 1] of wsd's decay:
// t, (1 - cos(pi t)) / 2, or sqrt(t) (so that the rate is 1 - sqrt(t) of the way down).
double DecayedFraction(DecayShape shape, double t);

class LrSchedule {
 public:
  // `total_steps` optimizer steps of `batch_size` samples each.
  LrSchedule(const TrainingOptions& options, int64_t total_steps);

  // Learning rate of step `step` (0-based).
  double At(int64_t step) const;
  int64_t warmup_steps() const { return warmup_steps_; }

 private:
  ScheduleOptions schedule_;
  double peak_;
  int64_t total_steps_;
  int64_t warmup_steps_;
  int64_t decay_start_;  // wsd: the first step of the decay
};

}  // namespace florenz::train
