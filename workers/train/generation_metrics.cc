// Metrics of generated outputs (see generation_metrics.h).
#include "workers/train/generation_metrics.h"

#include <algorithm>

#include "workers/eval/bleu.h"
#include "workers/eval/caption_scoring.h"
#include "workers/model/generation.h"

namespace florenz::train {

GenerationMetrics::GenerationMetrics(const EvaluationOptions& options,
                                     const data::DataGenerator& data, ImageMode image_mode,
                                     int image_size, int patch_size, int batch_size)
    : options_(options),
      data_(data),
      image_mode_(image_mode),
      image_size_(image_size),
      patch_size_(patch_size),
      batch_size_(batch_size),
      identifier_(data.languages()) {
  auto wants = [&](EvalMetric m) {
    return std::find(options.metrics.begin(), options.metrics.end(), m) != options.metrics.end();
  };
  bleu_ = wants(EvalMetric::kBleu);
  language_ = wants(EvalMetric::kLanguageAccuracy);
  exact_ = wants(EvalMetric::kExactMatch);
  bool any_unseen = false;
  for (const auto& pair : data.pairs()) any_unseen = any_unseen || pair.role == PairRole::kEval;
  const bool prefix_columns = any_unseen && options.decoder_prefix != DecoderPrefix::kWithout;
  std::vector<std::string> base;
  if (bleu_) base.push_back("bleu");
  if (language_) base.push_back("language_accuracy");
  if (exact_) {
    for (const char* m :
         {"exact_match", "colour_accuracy", "shape_accuracy", "relation_accuracy"}) {
      base.push_back(m);
    }
  }
  for (const auto& name : base) names_.push_back(name);
  if (prefix_columns) {
    for (const auto& name : base) names_.push_back(name + "_prefix");
  }
  // Which language evaluation-only pairs answer in without the prefix (the paper's "answers
  // in German or English instead"): the share of outputs identified as each language.
  if (language_ && any_unseen && options.decoder_prefix != DecoderPrefix::kWith) {
    for (const auto& l : data.languages()) names_.push_back("answered_" + l.name());
    names_.push_back("answered_mixed");
  }
}

std::vector<std::string> GenerationMetrics::NamesFor(PairRole role) const {
  std::vector<std::string> names;
  for (const auto& name : names_) {
    const bool prefixed = name.size() > 7 && name.compare(name.size() - 7, 7, "_prefix") == 0;
    const bool answered = name.rfind("answered_", 0) == 0;
    if (answered   ? role == PairRole::kEval && WithoutPrefix(role)
        : prefixed ? WithPrefix(role)
                   : WithoutPrefix(role)) {
      names.push_back(name);
    }
  }
  return names;
}

bool GenerationMetrics::WithoutPrefix(PairRole role) const {
  return role == PairRole::kTrain || options_.decoder_prefix != DecoderPrefix::kWith;
}

bool GenerationMetrics::WithPrefix(PairRole role) const {
  return role == PairRole::kEval && options_.decoder_prefix != DecoderPrefix::kWithout;
}

std::map<std::string, double> GenerationMetrics::Score(
    model::EncoderDecoder& model, int pair, const std::vector<data::Example>& set) const {
  std::map<std::string, double> out;
  if (!enabled() || set.empty()) return out;
  torch::NoGradGuard no_grad;
  const data::Pair& p = data_.pairs()[pair];
  const data::Language& language = data_.languages()[p.language];
  const data::Vocabulary& vocabulary = data_.vocabulary();
  const std::vector<int32_t> prefix = vocabulary.Encode(language.Prefix());
  model::GenerationOptions generation;
  generation.beam_size = options_.beam_size;
  generation.max_length = options_.max_length;

  std::vector<std::vector<std::string>> references;
  std::vector<std::vector<data::Clause>> scenes;
  for (const auto& e : set) {
    references.push_back(vocabulary.Decode(e.target));
    scenes.push_back(e.scene.clauses);
  }
  for (const bool forced : {false, true}) {
    if (forced ? !WithPrefix(p.role) : !WithoutPrefix(p.role)) continue;
    std::vector<std::vector<std::string>> outputs;
    for (size_t start = 0; start < set.size(); start += batch_size_) {
      const size_t end = std::min(set.size(), start + batch_size_);
      const std::vector<data::Example> chunk(set.begin() + start, set.begin() + end);
      const model::Batch batch = model::ToDevice(
          model::Collate(chunk, image_mode_, image_size_, patch_size_), model->device());
      const std::vector<std::vector<int32_t>> prefixes =
          forced ? std::vector<std::vector<int32_t>>(chunk.size(), prefix)
                 : std::vector<std::vector<int32_t>>{};
      for (const auto& ids : model::Generate(model, batch, generation, prefixes)) {
        outputs.push_back(vocabulary.Decode(ids));
      }
    }
    const std::string suffix = forced ? "_prefix" : "";
    if (bleu_) out["bleu" + suffix] = eval::CorpusBleu(outputs, references).score;
    if (language_) {
      const eval::LanguageAccuracy accuracy = identifier_.Score(outputs, p.language, forced);
      out["language_accuracy" + suffix] = accuracy.accuracy;
      if (!forced && p.role == PairRole::kEval && accuracy.sequences > 0) {
        for (size_t i = 0; i < accuracy.labels.size(); ++i) {
          out["answered_" + accuracy.labels[i]] =
              static_cast<double>(accuracy.confusion[i]) / static_cast<double>(accuracy.sequences);
        }
      }
    }
    if (exact_) {
      const eval::CaptionScores s = eval::ScoreCaptions(language, outputs, scenes);
      out["exact_match" + suffix] = s.exact_match;
      out["colour_accuracy" + suffix] = s.colour_accuracy;
      out["shape_accuracy" + suffix] = s.shape_accuracy;
      out["relation_accuracy" + suffix] = s.relation_accuracy;
    }
  }
  return out;
}

}  // namespace florenz::train
