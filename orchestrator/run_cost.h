// What a run costs, for the scheduler: its estimated FLOPs (training ≈ 6·N·D from
// experiments/model_cost.h, plus evaluation) and the throughput that turns FLOPs into seconds,
// learnt from the runs measured so far. Pure arithmetic; no MPI, no LibTorch.
#pragma once

#include "experiments/run_spec.h"

namespace florenz {

// Estimated FLOPs of one run: run.training_flops (3 × forward per seen sample) plus its
// evaluations — cross-entropy over every coverage pair's evaluation set (a forward pass a
// sample) at each evaluation.interval and at the end, and at the end the generated outputs
// (beam_size forward passes a sample, twice for evaluation-only pairs with decoder_prefix
// both) when the grid asks for BLEU, language accuracy or exact match. The evaluation part is
// an order of magnitude, not a measurement: what matters for scheduling is that runs compare
// in proportion, and the measured throughput absorbs a constant factor.
double EstimateRunFlops(const RunSpec& run);

// FLOP/s per rank, learnt from finished runs. A gang of g ranks is assumed to run at g times
// the per-rank throughput (perfect data- and tensor-parallel scaling); the ratio of sums
// Σ flops / Σ (ranks × seconds) weights each run by its work, so short noisy runs do not pull
// the estimate around. Before any measurement the estimate is the default.
class ThroughputEstimate {
 public:
  // `default_flops_per_rank_second` > 0; std::invalid_argument otherwise.
  explicit ThroughputEstimate(double default_flops_per_rank_second);

  // A run of `flops` estimated FLOPs took `seconds` on `ranks` ranks. Ignored unless
  // flops > 0, ranks > 0 and seconds > 0 (a run that did nothing tells nothing).
  void Record(double flops, int ranks, double seconds);

  double flops_per_rank_second() const;
  // Estimated seconds of `flops` on a gang of `ranks` ranks.
  double Seconds(double flops, int ranks) const;
  // Runs recorded so far.
  int measurements() const { return measurements_; }

 private:
  double default_;
  double flops_ = 0;
  double rank_seconds_ = 0;
  int measurements_ = 0;
};

}  // namespace florenz
