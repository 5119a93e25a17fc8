// Evaluation of a run on the grid's fixed evaluation sets, per (task, language) pair:
// cross-entropy — the token-mean per sample, averaged over samples, the paper's CE and what
// the scaling laws are fitted to — and, where the grid asks for it, CoMMuTE-style
// disambiguation accuracy (the model prefers the translation whose homonym sense matches the
// image), with its control on the same items with the images blanked (chance if the model
// uses the image). Also the named aggregates over pairs (unseen_caption, seen_caption, …).
// Data-parallel replicas share the work: each dp rank scores its share of every set and the sums
// (and generated outputs) are combined over the dp communicator.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "experiments/experiment_spec.h"
#include "parallel/communicator.h"
#include "workers/data/data_generator.h"
#include "workers/data/data_source.h"
#include "workers/model/encoder_decoder.h"
#include "workers/train/generation_metrics.h"

namespace florenz::train {

// pair name → metric name → value. A metric that does not apply to a pair is absent.
using EvalTable = std::map<std::string, std::map<std::string, double>>;

// The share of an evaluation set of `size` samples that data-parallel rank `rank` of `ranks`
// scores: samples [begin, end), contiguous and in rank order, the first size % ranks ranks
// taking one more than the others.
struct EvalShare {
  int64_t begin = 0;
  int64_t end = 0;
};
EvalShare ShareOf(int64_t size, int rank, int ranks);

class Evaluator {
 public:
  Evaluator(const ExperimentSpec& run, const data::DataSource& data);

  // Every metric of every pair, on every rank. Generated outputs and disambiguation (decoding
  // and extra passes cost far more than one forward pass) only when `final`, or at every
  // evaluation with evaluation.generation: every; the curve during training is cross-entropy.
  //
  // `dp` is the data-parallel communicator of this rank (null: one replica). Each dp rank then
  // scores its ShareOf every set, in batches of evaluation.batch_size, and the sums are
  // all-reduced over `dp` (on the model's device for NCCL, on the host for MPI); generated
  // outputs are gathered so that every rank scores the whole set. The result equals one
  // replica's up to float rounding of the sums; with one replica it is that computation
  // exactly. The tensor-parallel ranks of a replica pass the same dp rank, and all of them call.
  EvalTable Evaluate(model::EncoderDecoder& model, bool final, Communicator* dp = nullptr) const;

  // Per pair name: cross_entropy, and cross_entropy_excl_prefix (the same over the target tokens
  // after the language's decoder prefix).
  EvalTable CrossEntropy(model::EncoderDecoder& model, Communicator* dp = nullptr) const;
  // Disambiguation accuracy per language (translate pairs of languages other than English,
  // with data.ambiguous_words); `blank_image` zeroes the images (the chance-level control).
  std::map<std::string, double> Disambiguation(model::EncoderDecoder& model,
                                               bool blank_image = false,
                                               Communicator* dp = nullptr) const;

  // Samples this process has put through the model so far: each example of a cross-entropy
  // set, disambiguation item and decoded example counted once per pass (a test's measure of a
  // dp rank's share).
  int64_t scored() const { return scored_.load(); }

  // The metric columns of /eval/<pair>/ in a run file, in order.
  std::vector<std::string> MetricNames() const;
  // Final metrics of a run: cross_entropy_<pair>, <metric>_<pair> for the metrics of
  // generated outputs (bleu, bleu_prefix, language_accuracy, …), disambiguation_<lang>, and
  // <kind>_<metric> aggregates of those (unseen_caption_bleu_prefix, …), and the aggregates
  // unseen_caption / seen_caption / seen_translate / unseen_translate (mean CE over the pairs
  // of each kind) and the same with the suffix _excl_prefix (CE after the decoder prefix, the
  // headline measure for unseen pairs; per pair cross_entropy_excl_prefix_<pair>), disambiguation
  // and disambiguation_blank (means over languages), and disambiguation_<lang>,
  // disambiguation_blank_<lang>.
  std::map<std::string, double> FinalMetrics(const EvalTable& table) const;
  std::vector<std::string> FinalMetricNames() const;

 private:
  bool disambiguation_enabled() const;

  const data::DataSource& data_;
  model::ImageLayout layout_;
  int batch_size_;       // evaluation.batch_size, or training.batch_size for 0
  Precision precision_;  // autocast for the forward passes, as in training
  int samples_per_pair_;
  std::vector<EvalMetric> metrics_;
  bool generate_every_ = false;  // evaluation.generation: every
  // The evaluation sets, built once.
  std::vector<std::vector<data::Example>> sets_;
  // BLEU, language accuracy, exact match of generated outputs (when the grid asks).
  GenerationMetrics generation_;
  // Disambiguation sets per language index (empty when not evaluated; synthetic data only).
  std::map<int, std::vector<data::DisambiguationItem>> disambiguation_;
  mutable std::atomic<int64_t> scored_{0};
};

// "cross_entropy_caption_es": a per-pair final metric.
std::string PairMetricName(const std::string& pair);
// "cross_entropy_excl_prefix_caption_es": the same after the decoder prefix.
std::string PairMetricExclPrefixName(const std::string& pair);

}  // namespace florenz::train
