// The training section of a grid: sample budgets (one run each), batch, optimizer, schedule.
#pragma once

#include <cstdint>
#include <vector>

#include "experiments/spec_enums.h"

namespace florenz {

// The peak learning rate as a function of the model size (docs/grid-spec.md, "Learning-rate
// rules"): `constant` uses learning_rate for every size (as every grid before the rules);
// `power` scales it with the width, lr = learning_rate × (d_model / base_width)^exponent, so
// that learning_rate is the rate of a model of width base_width (marin: exponent -1; OLMo's
// ladder: N^-1/3).
struct LearningRateRule {
  LearningRateRuleKind kind = LearningRateRuleKind::kConstant;
  // power only: the width at which the rate is learning_rate, and the exponent of the width.
  int base_width = 0;
  double exponent = 0;

  template <class V>
  void VisitFields(V& v) {
    v("kind", kind);
    v("base_width", base_width);
    v("exponent", exponent);
  }
};

// AdamW, as the paper.
struct OptimizerOptions {
  // The peak rate (of a width of learning_rate_rule.base_width under a power rule).
  double learning_rate = 1e-3;
  // Multiplies the rule's rate: as an axis ([0.5, 1, 2]) it brackets each size's optimum
  // around the rule instead of listing one absolute rate for all sizes.
  double learning_rate_scale = 1;
  LearningRateRule learning_rate_rule;
  double weight_decay = 0.01;
  double beta1 = 0.9;
  double beta2 = 0.98;
  double epsilon = 1e-8;

  template <class V>
  void VisitFields(V& v) {
    v("learning_rate", learning_rate);
    v("learning_rate_scale", learning_rate_scale);
    v("learning_rate_rule", learning_rate_rule);
    v("weight_decay", weight_decay);
    v("beta1", beta1);
    v("beta2", beta2);
    v("epsilon", epsilon);
  }
};

// Linear warm-up, then `kind` over the rest of the run's sample budget.
struct ScheduleOptions {
  ScheduleKind kind = ScheduleKind::kCosine;
  // Warm-up length as a fraction of the budget, used when warmup_samples is 0.
  double warmup_fraction = 0.05;
  // Warm-up length in seen samples (the paper: 100 steps × 1024); 0 = use warmup_fraction.
  int64_t warmup_samples = 0;
  // Warm-up length in samples per non-embedding parameter of the size (the OLMo ladder warms
  // up for N tokens): warm-up samples = round(warmup_samples_per_param × N); 0 = unused.
  double warmup_samples_per_param = 0;
  // Final learning rate as a fraction of the peak (cosine and wsd).
  double min_lr_ratio = 0.1;
  // wsd only: fraction of the budget spent in the final decay.
  double decay_fraction = 0.2;
  // wsd only: the decay's shape (linear, cosine, 1-sqrt).
  DecayShape decay_shape = DecayShape::kLinear;

  template <class V>
  void VisitFields(V& v) {
    v("kind", kind);
    v("warmup_fraction", warmup_fraction);
    v("warmup_samples", warmup_samples);
    v("warmup_samples_per_param", warmup_samples_per_param);
    v("min_lr_ratio", min_lr_ratio);
    v("decay_fraction", decay_fraction);
    v("decay_shape", decay_shape);
  }
};

struct TrainingOptions {
  // Seen-sample budgets; each is its own run with the schedule tied to it. Integers or
  // with a suffix: 80k, 2M.
  std::vector<int64_t> budgets;
  // Global batch in samples (split across data-parallel ranks): one optimizer step.
  int batch_size = 64;
  // Samples per forward/backward on one rank; 0 = the rank's whole share of the batch
  // (batch_size / data_parallel). Smaller values accumulate gradients over
  // batch_size / (data_parallel × micro_batch_size) micro-batches per step, with one
  // data-parallel all-reduce per step. Changes memory, not what a step computes (up to float
  // rounding), so it does not enter run ids.
  int micro_batch_size = 0;
  // fp32; bf16: autocast for matmuls and attention, fp32 master weights, optimizer state and
  // loss reduction; tf32: float32 tensors, matmuls on a GPU's TF32 tensor cores (cuBLAS and
  // cuDNN allowed TF32 for the run; on the CPU exactly fp32). Enters run ids only as bf16 or
  // tf32, so fp32 ids stay what they were.
  Precision precision = Precision::kFp32;
  OptimizerOptions optimizer;
  ScheduleOptions schedule;
  // Clip gradients to this global L2 norm; 0 = no clipping.
  double grad_clip = 1.0;
  // Log train loss, lr, grad norm and throughput every this many steps.
  int log_interval = 10;
  // Budget branching (docs/grid-spec.md, "Budget branching"): with a wsd schedule, each
  // (size, seed)'s largest-budget run is the trunk and writes, at every smaller budget's decay
  // start, that run's checkpoint; the smaller runs start there and only decay. Every run
  // computes exactly what it would alone (the same bits), so run ids do not change: branching
  // only saves the constant-rate part the runs share.
  bool branching = false;

  template <class V>
  void VisitFields(V& v) {
    v("budgets", budgets);
    v("batch_size", batch_size);
    v("micro_batch_size", micro_batch_size);
    v("precision", precision);
    v("optimizer", optimizer);
    v("schedule", schedule);
    v("grad_clip", grad_clip);
    v("log_interval", log_interval);
    v("branching", branching);
  }
};

}  // namespace florenz
