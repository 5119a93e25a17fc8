// Learning-rate rules (docs/grid-spec.md, "Learning-rate rules"): the peak rate and the warm-up
// of a run as functions of its size. A grid says how the rate scales with the width
// (training.optimizer.learning_rate_rule) and how long the warm-up is per parameter
// (training.schedule.warmup_samples_per_param); each run applies them to its own size.
#pragma once

#include <cstdint>

#include "experiments/model_options.h"
#include "experiments/training_options.h"

namespace florenz {

// learning_rate × learning_rate_scale × the rule's factor for `size` (1 for `constant`,
// (d_model / base_width)^exponent for `power`). With the defaults exactly learning_rate.
double PeakLearningRate(const OptimizerOptions& optimizer, const ModelSize& size);

// round(warmup_samples_per_param × non_embedding_params) when warmup_samples_per_param is set,
// else warmup_samples (0: the warm-up is warmup_fraction of the budget).
int64_t WarmupSamplesOf(const ScheduleOptions& schedule, int64_t non_embedding_params);

// The training section as a run of `size` applies it: the rule resolved into
// optimizer.learning_rate (scale 1, rule constant), the per-parameter warm-up into
// schedule.warmup_samples. What the trainer and the branch points use.
TrainingOptions ResolveTraining(const TrainingOptions& training, const ModelSize& size,
                                int64_t non_embedding_params);

}  // namespace florenz
