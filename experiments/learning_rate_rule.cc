// Learning-rate rules (see learning_rate_rule.h).
#include "experiments/learning_rate_rule.h"

#include <cmath>

#include "experiments/run_spec.h"

namespace florenz {

double PeakLearningRate(const OptimizerOptions& optimizer, const ModelSize& size) {
  double rate = optimizer.learning_rate * optimizer.learning_rate_scale;
  const LearningRateRule& rule = optimizer.learning_rate_rule;
  if (rule.kind == LearningRateRuleKind::kPower && rule.base_width > 0) {
    rate *= std::pow(static_cast<double>(size.d_model) / rule.base_width, rule.exponent);
  }
  return rate;
}

int64_t WarmupSamplesOf(const ScheduleOptions& schedule, int64_t non_embedding_params) {
  if (schedule.warmup_samples_per_param <= 0) return schedule.warmup_samples;
  return std::llround(schedule.warmup_samples_per_param *
                      static_cast<double>(non_embedding_params));
}

TrainingOptions ResolveTraining(const TrainingOptions& training, const ModelSize& size,
                                int64_t non_embedding_params) {
  TrainingOptions resolved = training;
  resolved.optimizer.learning_rate = PeakLearningRate(training.optimizer, size);
  resolved.optimizer.learning_rate_scale = 1;
  resolved.optimizer.learning_rate_rule = LearningRateRule{};
  resolved.schedule.warmup_samples = WarmupSamplesOf(training.schedule, non_embedding_params);
  resolved.schedule.warmup_samples_per_param = 0;
  return resolved;
}

TrainingOptions RunSpec::Training() const {
  return ResolveTraining(spec().training, size(), cost.non_embedding_params);
}

}  // namespace florenz
