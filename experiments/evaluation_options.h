// The evaluation section of a grid: when and how every (task, language) pair of the coverage
// matrix is evaluated.
#pragma once

#include <cstdint>
#include <vector>

#include "experiments/spec_enums.h"

namespace florenz {

struct EvaluationOptions {
  // Seen samples between evaluations during training; 0 = only at the end of the run.
  int64_t interval = 0;
  // Size of each pair's fixed evaluation set (and of each disambiguation set).
  int samples_per_pair = 256;
  // What to compute. Cross-entropy is what the scaling laws are fitted to.
  std::vector<EvalMetric> metrics{EvalMetric::kCrossEntropy};
  // For evaluation-only pairs: decode without the target-language prefix, with it, or both.
  DecoderPrefix decoder_prefix = DecoderPrefix::kBoth;
  // Beam width for generated outputs (1 = greedy; the paper uses 4).
  int beam_size = 4;
  // Longest generated output in tokens.
  int max_length = 32;
  // Samples per forward pass of one data-parallel rank (cross-entropy, disambiguation and
  // decoding); each rank evaluates its share of every set. 0 = training.batch_size.
  int batch_size = 0;
  // Generation metrics at the final evaluation only (a study's compute goes to training) or at
  // every evaluation; cross-entropy is computed at every one either way.
  GenerationWhen generation = GenerationWhen::kFinal;

  template <class V>
  void VisitFields(V& v) {
    v("interval", interval);
    v("samples_per_pair", samples_per_pair);
    v("metrics", metrics);
    v("decoder_prefix", decoder_prefix);
    v("beam_size", beam_size);
    v("max_length", max_length);
    v("batch_size", batch_size);
    v("generation", generation);
  }
};

}  // namespace florenz
