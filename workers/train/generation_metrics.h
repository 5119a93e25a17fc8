// What a pair's generated outputs say, beyond cross-entropy (issue 5): BLEU against the
// reference, output-language accuracy (does the model answer in the requested language?),
// and exact-match and attribute accuracy of the scene read back from the output — each with
// and without the target language's forced decoder prefix for evaluation-only pairs, the
// paper's finding that the prefix unlocks captioning in unseen languages.
// On a corpus of shards (issue 17) outputs are detokenized text: BLEU is sacreBLEU's on the
// reference texts (13a, zh for Chinese), the output language is the character n-gram
// identifier's verdict, and what needs a scene graph or a decoder prefix does not apply.
// Data-parallel ranks each decode their share of a set; the outputs are gathered so that every
// rank scores the whole set.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "experiments/evaluation_options.h"
#include "parallel/communicator.h"
#include "workers/data/data_source.h"
#include "workers/eval/language_accuracy.h"
#include "workers/model/encoder_decoder.h"

namespace florenz::train {

class GenerationMetrics {
 public:
  GenerationMetrics(const EvaluationOptions& options, const data::DataSource& data,
                    const model::ImageLayout& layout, int batch_size);

  // Does the grid ask for any metric of generated outputs?
  bool enabled() const { return !names_.empty(); }
  // Columns this adds to /eval/<pair>/ (e.g. bleu, bleu_prefix, language_accuracy, …).
  const std::vector<std::string>& names() const { return names_; }

  // The columns that apply to a pair of this role (prefix columns: evaluation-only pairs).
  std::vector<std::string> NamesFor(PairRole role) const;

  // Generates for `set` (examples of pair `pair`) and scores the outputs: metric → value.
  // With `dp` (the data-parallel communicator; null: one replica) this rank decodes its
  // ShareOf (evaluator.h) the set and the outputs are all-gathered over `dp`, so every rank
  // scores all of them. `scored`, when given, counts the examples this rank decoded.
  std::map<std::string, double> Score(model::EncoderDecoder& model, int pair,
                                      const std::vector<data::Example>& set,
                                      Communicator* dp = nullptr,
                                      std::atomic<int64_t>* scored = nullptr) const;

 private:
  // Decode with or without the forced prefix for a pair of this role?
  bool WithoutPrefix(PairRole role) const;
  bool WithPrefix(PairRole role) const;
  // The outputs of `set` (token ids), decoded with or without the forced prefix: this rank's
  // share decoded, everyone's gathered over `dp`.
  std::vector<std::vector<int32_t>> Outputs(model::EncoderDecoder& model,
                                            const std::vector<data::Example>& set,
                                            const std::vector<int32_t>* prefix, Communicator* dp,
                                            std::atomic<int64_t>* scored) const;
  // Scores of one decoding pass (`suffix` "" or "_prefix") of a synthetic pair or a corpus's.
  void ScoreSynthetic(int pair, const std::vector<data::Example>& set,
                      const std::vector<std::vector<int32_t>>& outputs, bool forced,
                      std::map<std::string, double>* out) const;
  void ScoreCorpus(int pair, const std::vector<std::vector<int32_t>>& outputs,
                   std::map<std::string, double>* out) const;

  EvaluationOptions options_;
  const data::DataSource& data_;
  model::ImageLayout layout_;
  int batch_size_;
  bool bleu_ = false, language_ = false, exact_ = false;
  bool has_prefix_ = false;  // synthetic languages have a decoder prefix; a corpus has none
  std::vector<std::string> names_;
  std::optional<eval::LanguageIdentifier> identifier_;  // synthetic data
};

}  // namespace florenz::train
