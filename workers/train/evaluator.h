// Cross-entropy on each (task, language) pair's fixed evaluation set: the token-mean per
// sample, averaged over samples — the paper's CE and what the scaling laws are fitted to —
// and the named aggregates over pairs (unseen_caption, seen_caption, seen_translate, …).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "experiments/experiment_spec.h"
#include "workers/data/data_generator.h"
#include "workers/model/encoder_decoder.h"

namespace florenz::train {

class Evaluator {
 public:
  Evaluator(const ExperimentSpec& run, const data::DataGenerator& data);

  // CE per pair name, in data.pairs() order.
  std::map<std::string, double> CrossEntropy(model::EncoderDecoder& model) const;

  // Aggregates over pairs: "unseen_caption" (mean over evaluation-only caption pairs),
  // "seen_caption", "seen_translate", "unseen_translate" — those with at least one pair.
  std::map<std::string, double> Aggregates(const std::map<std::string, double>& per_pair) const;

  // Names of the aggregates this grid has, and the final-metric names of a run file.
  std::vector<std::string> AggregateNames() const;
  std::vector<std::string> FinalMetricNames() const;

 private:
  const data::DataGenerator& data_;
  ImageMode image_mode_;
  int image_size_;
  int patch_size_;
  int batch_size_;
  int samples_per_pair_;
  // The evaluation sets, built once.
  std::vector<std::vector<data::Example>> sets_;
};

// "cross_entropy_caption_es": a per-pair final metric.
std::string PairMetricName(const std::string& pair);

}  // namespace florenz::train
