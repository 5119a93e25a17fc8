// Learning-rate schedules (see lr_schedule.h).
#include "workers/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "experiments/branching.h"

namespace florenz::train {

double DecayedFraction(DecayShape shape, double t) {
  switch (shape) {
    case DecayShape::kLinear:
      return t;
    case DecayShape::kCosine:
      return 0.5 * (1.0 - std::cos(M_PI * t));
    case DecayShape::kOneMinusSqrt:
      return std::sqrt(t);
  }
  return t;
}

LrSchedule::LrSchedule(const TrainingOptions& options, int64_t total_steps)
    : schedule_(options.schedule),
      peak_(options.optimizer.learning_rate),
      total_steps_(std::max<int64_t>(1, total_steps)),
      warmup_steps_(WarmupSteps(options, total_steps_)),
      decay_start_(WsdDecayStartStep(options, total_steps_)) {}

double LrSchedule::At(int64_t step) const {
  if (step < warmup_steps_) return peak_ * static_cast<double>(step + 1) / (warmup_steps_ + 1);
  const double floor = peak_ * schedule_.min_lr_ratio;
  switch (schedule_.kind) {
    case ScheduleKind::kConstant:
      return peak_;
    case ScheduleKind::kCosine: {
      const double span = static_cast<double>(std::max<int64_t>(1, total_steps_ - warmup_steps_));
      const double t = std::min(1.0, static_cast<double>(step - warmup_steps_) / span);
      return floor + (peak_ - floor) * 0.5 * (1.0 + std::cos(M_PI * t));
    }
    case ScheduleKind::kWsd: {
      // The decay runs from decay_start_ to the end (experiments/branching.h computes it, so a
      // trunk knows where each budget's branch starts).
      const int64_t decay = std::max<int64_t>(
          1, static_cast<int64_t>(std::round(schedule_.decay_fraction * total_steps_)));
      if (step < decay_start_) return peak_;
      const double t =
          std::min(1.0, static_cast<double>(step - decay_start_) / std::max<int64_t>(1, decay));
      return peak_ + (floor - peak_) * DecayedFraction(schedule_.decay_shape, t);
    }
  }
  return peak_;
}

}  // namespace florenz::train
