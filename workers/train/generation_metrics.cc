// Metrics of generated outputs (see generation_metrics.h).
#include "workers/train/generation_metrics.h"

#include <algorithm>
#include <cstring>

#include "parallel/device_reads.h"
#include "workers/data/data_generator.h"
#include "workers/data/shards/shard_source.h"
#include "workers/eval/bleu.h"
#include "workers/eval/bleu_tokenizers.h"
#include "workers/eval/caption_scoring.h"
#include "workers/model/generation.h"
#include "workers/train/evaluator.h"

namespace florenz::train {

GenerationMetrics::GenerationMetrics(const EvaluationOptions& options, const data::DataSource& data,
                                     const model::ImageLayout& layout, int batch_size)
    : options_(options),
      data_(data),
      layout_(layout),
      batch_size_(batch_size),
      has_prefix_(data.synthetic() != nullptr) {
  if (data.synthetic() != nullptr) identifier_.emplace(data.synthetic()->languages());
  auto wants = [&](EvalMetric m) {
    return std::find(options.metrics.begin(), options.metrics.end(), m) != options.metrics.end();
  };
  bleu_ = wants(EvalMetric::kBleu);
  language_ = wants(EvalMetric::kLanguageAccuracy);
  // Scene-graph metrics need synthetic ground truth (a corpus's grid cannot ask for them).
  exact_ = wants(EvalMetric::kExactMatch) && data.synthetic() != nullptr;
  bool any_unseen = false;
  for (const auto& pair : data.pairs()) any_unseen = any_unseen || pair.role == PairRole::kEval;
  const bool prefix_columns =
      has_prefix_ && any_unseen && options.decoder_prefix != DecoderPrefix::kWithout;
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
  if (language_ && any_unseen && (!has_prefix_ || options.decoder_prefix != DecoderPrefix::kWith)) {
    for (const auto& l : data.synthetic() ? data.synthetic()->options().languages
                                          : data.corpus()->options().languages) {
      names_.push_back("answered_" + l.name);
    }
    if (has_prefix_) names_.push_back("answered_mixed");
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
  return !has_prefix_ || role == PairRole::kTrain ||
         options_.decoder_prefix != DecoderPrefix::kWith;
}

bool GenerationMetrics::WithPrefix(PairRole role) const {
  return has_prefix_ && role == PairRole::kEval &&
         options_.decoder_prefix != DecoderPrefix::kWithout;
}

namespace {

// Every dp rank's outputs of its share (`local`, ShareOf order), in rank order: each rank sends
// rows [length, tokens…] of a [max share, 1 + max_length] int64 tensor (length −1 for a row it
// does not have), on the model's device for NCCL and on the host for MPI.
std::vector<std::vector<int32_t>> GatherOutputs(const std::vector<std::vector<int32_t>>& local,
                                                int64_t set_size, int max_length, Communicator& dp,
                                                const torch::Device& device) {
  const int64_t rows = ShareOf(set_size, 0, dp.size()).end;  // rank 0's share is the largest
  const int64_t width = 1 + max_length;
  torch::Tensor packed = torch::full({rows, width}, int64_t{-1}, torch::kInt64);
  int64_t* out = packed.data_ptr<int64_t>();
  for (size_t i = 0; i < local.size(); ++i) {
    out[i * width] = static_cast<int64_t>(local[i].size());
    std::copy(local[i].begin(), local[i].end(), out + i * width + 1);
  }
  if (std::strcmp(dp.backend(), "nccl") == 0) packed = packed.to(device);
  const std::vector<int64_t> all = ReadInt64s(dp.AllGather(packed, 0).view({-1}));
  std::vector<std::vector<int32_t>> outputs;
  for (size_t row = 0; row * width < all.size(); ++row) {
    const int64_t* r = all.data() + row * width;
    if (r[0] < 0) continue;
    outputs.emplace_back(r + 1, r + 1 + r[0]);
  }
  return outputs;
}

}  // namespace

std::vector<std::vector<int32_t>> GenerationMetrics::Outputs(model::EncoderDecoder& model,
                                                             const std::vector<data::Example>& set,
                                                             const std::vector<int32_t>* prefix,
                                                             Communicator* dp,
                                                             std::atomic<int64_t>* scored) const {
  model::GenerationOptions generation;
  generation.beam_size = options_.beam_size;
  generation.max_length = options_.max_length;
  const int64_t size = static_cast<int64_t>(set.size());
  const int ranks = dp != nullptr ? dp->size() : 1;
  const EvalShare share = ShareOf(size, dp != nullptr ? dp->rank() : 0, ranks);
  std::vector<std::vector<int32_t>> outputs;
  for (int64_t start = share.begin; start < share.end; start += batch_size_) {
    const int64_t end = std::min<int64_t>(share.end, start + batch_size_);
    const std::vector<data::Example> chunk(set.begin() + start, set.begin() + end);
    const model::Batch batch = model::ToDevice(model::Collate(chunk, layout_), model->device());
    const std::vector<std::vector<int32_t>> prefixes =
        prefix != nullptr ? std::vector<std::vector<int32_t>>(chunk.size(), *prefix)
                          : std::vector<std::vector<int32_t>>{};
    for (auto& ids : model::Generate(model, batch, generation, prefixes)) {
      outputs.push_back(std::move(ids));
    }
    if (scored != nullptr) *scored += end - start;
  }
  if (ranks == 1) return outputs;
  return GatherOutputs(outputs, size, options_.max_length, *dp, model->device());
}

void GenerationMetrics::ScoreSynthetic(int pair, const std::vector<data::Example>& set,
                                       const std::vector<std::vector<int32_t>>& output_ids,
                                       bool forced, std::map<std::string, double>* out) const {
  const data::DataGenerator& data = *data_.synthetic();
  const data::Pair& p = data.pairs()[pair];
  const data::Language& language = data.languages()[p.language];
  const data::Vocabulary& vocabulary = data.vocabulary();
  std::vector<std::vector<std::string>> references, outputs;
  std::vector<std::vector<data::Clause>> scenes;
  for (const auto& e : set) {
    references.push_back(vocabulary.Decode(e.target));
    scenes.push_back(e.scene.clauses);
  }
  for (const auto& ids : output_ids) outputs.push_back(vocabulary.Decode(ids));
  const std::string suffix = forced ? "_prefix" : "";
  if (bleu_) (*out)["bleu" + suffix] = eval::CorpusBleu(outputs, references).score;
  if (language_) {
    const eval::LanguageAccuracy accuracy = identifier_->Score(outputs, p.language, forced);
    (*out)["language_accuracy" + suffix] = accuracy.accuracy;
    if (!forced && p.role == PairRole::kEval && accuracy.sequences > 0) {
      for (size_t i = 0; i < accuracy.labels.size(); ++i) {
        (*out)["answered_" + accuracy.labels[i]] =
            static_cast<double>(accuracy.confusion[i]) / static_cast<double>(accuracy.sequences);
      }
    }
  }
  if (exact_) {
    const eval::CaptionScores s = eval::ScoreCaptions(language, outputs, scenes);
    (*out)["exact_match" + suffix] = s.exact_match;
    (*out)["colour_accuracy" + suffix] = s.colour_accuracy;
    (*out)["shape_accuracy" + suffix] = s.shape_accuracy;
    (*out)["relation_accuracy" + suffix] = s.relation_accuracy;
  }
}

void GenerationMetrics::ScoreCorpus(int pair, const std::vector<std::vector<int32_t>>& output_ids,
                                    std::map<std::string, double>* out) const {
  const data::ShardSource& corpus = *data_.corpus();
  const data::Pair& p = corpus.pairs()[pair];
  const std::string& language = corpus.LanguageName(p.language);
  const eval::BleuTokenize tokenize = eval::DefaultBleuTokenize(language);
  std::vector<std::vector<std::string>> references, outputs;
  std::map<std::string, int64_t> answered;
  int64_t right = 0;
  for (size_t i = 0; i < output_ids.size(); ++i) {
    const std::string text = corpus.DecodeText(output_ids[i]);
    outputs.push_back(eval::BleuWords(text, tokenize));
    references.push_back(
        eval::BleuWords(corpus.EvalReference(pair, static_cast<int64_t>(i)), tokenize));
    // An empty output is in no language.
    const std::string identified = text.empty() ? "" : corpus.language_identifier().Identify(text);
    right += identified == language;
    ++answered[identified];
  }
  if (bleu_) (*out)["bleu"] = eval::CorpusBleu(outputs, references).score;
  if (language_ && !output_ids.empty()) {
    const double n = static_cast<double>(output_ids.size());
    (*out)["language_accuracy"] = static_cast<double>(right) / n;
    if (p.role == PairRole::kEval) {
      for (const auto& l : corpus.options().languages) {
        auto it = answered.find(l.name);
        (*out)["answered_" + l.name] =
            it == answered.end() ? 0.0 : static_cast<double>(it->second) / n;
      }
    }
  }
}

std::map<std::string, double> GenerationMetrics::Score(model::EncoderDecoder& model, int pair,
                                                       const std::vector<data::Example>& set,
                                                       Communicator* dp,
                                                       std::atomic<int64_t>* scored) const {
  std::map<std::string, double> out;
  if (!enabled() || set.empty()) return out;
  torch::NoGradGuard no_grad;
  const data::Pair& p = data_.pairs()[pair];
  if (data_.corpus() != nullptr) {
    ScoreCorpus(pair, Outputs(model, set, nullptr, dp, scored), &out);
    return out;
  }
  const data::DataGenerator& data = *data_.synthetic();
  const std::vector<int32_t> prefix =
      data.vocabulary().Encode(data.languages()[p.language].Prefix());
  for (const bool forced : {false, true}) {
    if (forced ? !WithPrefix(p.role) : !WithoutPrefix(p.role)) continue;
    ScoreSynthetic(pair, set, Outputs(model, set, forced ? &prefix : nullptr, dp, scored), forced,
                   &out);
  }
  return out;
}

}  // namespace florenz::train
