// Run cost estimates and the learnt throughput (see run_cost.h).
#include "orchestrator/run_cost.h"

#include <algorithm>
#include <stdexcept>

namespace florenz {

double EstimateRunFlops(const RunSpec& run) {
  const ExperimentSpec& spec = run.spec();
  const EvaluationOptions& evaluation = spec.evaluation;
  int pairs = 0, eval_only_pairs = 0;
  for (const auto& [task, languages] : spec.data.coverage) {
    for (const auto& [language, role] : languages) {
      ++pairs;
      if (role != PairRole::kTrain) ++eval_only_pairs;
    }
  }
  const double forward = run.cost.forward_flops;
  const double per_pair = static_cast<double>(evaluation.samples_per_pair);
  // Interval evaluations happen while training (not at the last step), then one at the end. A
  // branch (training.branching) trains, and evaluates, only after its branch point.
  const int64_t samples = run.TrainedSamples();
  const int64_t evaluations =
      (evaluation.interval > 0 ? std::max<int64_t>(0, (samples - 1) / evaluation.interval) : 0) + 1;
  const double trained_share =
      run.trunk.empty()
          ? 1.0
          : static_cast<double>(samples) / static_cast<double>(std::max<int64_t>(1, run.samples()));
  double flops = run.training_flops * trained_share + evaluations * pairs * per_pair * forward;
  bool generates = false;
  for (const EvalMetric metric : evaluation.metrics) {
    generates |= metric == EvalMetric::kBleu || metric == EvalMetric::kLanguageAccuracy ||
                 metric == EvalMetric::kExactMatch;
  }
  if (generates) {
    const double variants =
        pairs + (evaluation.decoder_prefix == DecoderPrefix::kBoth ? eval_only_pairs : 0);
    flops += variants * per_pair * std::max(1, evaluation.beam_size) * forward;
  }
  return flops;
}

ThroughputEstimate::ThroughputEstimate(double default_flops_per_rank_second)
    : default_(default_flops_per_rank_second) {
  if (!(default_ > 0)) {
    throw std::invalid_argument("throughput: default FLOP/s per rank must be > 0");
  }
}

void ThroughputEstimate::Record(double flops, int ranks, double seconds) {
  if (!(flops > 0) || ranks <= 0 || !(seconds > 0)) return;
  flops_ += flops;
  rank_seconds_ += ranks * seconds;
  ++measurements_;
}

double ThroughputEstimate::flops_per_rank_second() const {
  return measurements_ == 0 ? default_ : flops_ / rank_seconds_;
}

double ThroughputEstimate::Seconds(double flops, int ranks) const {
  return flops / (std::max(1, ranks) * flops_per_rank_second());
}

}  // namespace florenz
