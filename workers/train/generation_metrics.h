// What a pair's generated outputs say, beyond cross-entropy (issue 5): BLEU against the
// reference, output-language accuracy (does the model answer in the requested language?),
// and exact-match and attribute accuracy of the scene read back from the output — each with
// and without the target language's forced decoder prefix for evaluation-only pairs, the
// paper's finding that the prefix unlocks captioning in unseen languages.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "experiments/evaluation_options.h"
#include "workers/data/data_generator.h"
#include "workers/eval/language_accuracy.h"
#include "workers/model/encoder_decoder.h"

namespace florenz::train {

class GenerationMetrics {
 public:
  GenerationMetrics(const EvaluationOptions& options, const data::DataGenerator& data,
                    ImageMode image_mode, int image_size, int patch_size, int batch_size);

  // Does the grid ask for any metric of generated outputs?
  bool enabled() const { return !names_.empty(); }
  // Columns this adds to /eval/<pair>/ (e.g. bleu, bleu_prefix, language_accuracy, …).
  const std::vector<std::string>& names() const { return names_; }

  // The columns that apply to a pair of this role (prefix columns: evaluation-only pairs).
  std::vector<std::string> NamesFor(PairRole role) const;

  // Generates for `set` (examples of pair `pair`) and scores the outputs: metric → value.
  std::map<std::string, double> Score(model::EncoderDecoder& model, int pair,
                                      const std::vector<data::Example>& set) const;

 private:
  // Decode with or without the forced prefix for a pair of this role?
  bool WithoutPrefix(PairRole role) const;
  bool WithPrefix(PairRole role) const;

  EvaluationOptions options_;
  const data::DataGenerator& data_;
  ImageMode image_mode_;
  int image_size_, patch_size_, batch_size_;
  bool bleu_ = false, language_ = false, exact_ = false;
  std::vector<std::string> names_;
  eval::LanguageIdentifier identifier_;
};

}  // namespace florenz::train
