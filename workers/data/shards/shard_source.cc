// A grid's samples from its corpus of shards (shard_source.h).
#include "workers/data/shards/shard_source.h"

#include <algorithm>

#include "core/errors.h"
#include "workers/data/shards/image_decode.h"
#include "workers/data/shards/npy_features.h"
#include "workers/data/shards/sample_label.h"

namespace florenz::data {
namespace {

// florenz's end-of-sequence id, shared by the tokenizer (tokenizer.h).
constexpr int32_t kEos = 2;
// Replacements tried for a bad sample under on_bad_sample: skip before the run gives up.
constexpr int kMaxReplacements = 64;

// The first `limit` ids of `ids`.
std::vector<int32_t> Truncated(std::vector<int32_t> ids, int limit) {
  if (static_cast<int>(ids.size()) > limit) ids.resize(std::max(0, limit));
  return ids;
}

ShardIndex Index(const std::string& pattern, const DataOptions& data) {
  return IndexShards(pattern, CorpusIndexOptions(data));
}

}  // namespace

std::string CorpusCacheDir(const DataOptions& data) {
  return data.cache_dir.empty() ? UserCacheDir() : data.cache_dir;
}

ShardIndexOptions CorpusIndexOptions(const DataOptions& data) {
  ShardIndexOptions options;
  options.cache_dir = CorpusCacheDir(data);
  options.skip_bad = data.on_bad_sample == BadSampleAction::kSkip;
  options.max_text_bytes = data.max_text_bytes;
  options.max_image_pixels = data.max_image_pixels;
  return options;
}

CorpusFiles LocateCorpus(const DataOptions& data) {
  CorpusFiles files;
  files.tokenizer_hash = TokenizerFileHash(data.tokenizer);
  files.train = Index(data.train, data);
  files.eval = Index(data.eval, data);
  const std::string cache_dir = CorpusCacheDir(data);
  if (cache_dir.empty()) {
    throw ConfigError(SourceLocation{data.train, 0, 0},
                      "no folder for the corpus's token caches: set data.cache_dir (neither "
                      "XDG_CACHE_HOME nor HOME is set)");
  }
  files.train_tokens = TokenCachePath(files.train, files.tokenizer_hash, cache_dir);
  files.eval_tokens = TokenCachePath(files.eval, files.tokenizer_hash, cache_dir);
  return files;
}

ShardSource::ShardSource(const ExperimentSpec& spec)
    : options_(spec.data), pairs_(CoveragePairs(spec.data)) {
  for (const EvalMetric m : spec.evaluation.metrics) {
    language_accuracy_ = language_accuracy_ || m == EvalMetric::kLanguageAccuracy;
  }
  CorpusFiles files = LocateCorpus(options_);
  train_.index = std::move(files.train);
  eval_.index = std::move(files.eval);
  for (auto* split : {&train_, &eval_}) {
    const std::string& path = split == &train_ ? files.train_tokens : files.eval_tokens;
    split->tokens = ReadTokenCache(path);
    if (split->tokens.samples() != static_cast<int64_t>(split->index.samples.size()) ||
        split->tokens.index_key != split->index.key) {
      throw IoError(path + ": token cache of another index (" +
                    std::to_string(split->tokens.samples()) + " samples for " +
                    std::to_string(split->index.samples.size()) + "); delete it to rebuild it");
    }
    for (const std::string& shard : split->index.shards) {
      split->readers.push_back(std::make_unique<TarReader>(shard));
    }
  }
  const SourceLocation tokenizer{options_.tokenizer, 0, 0};
  const int pieces = static_cast<int>(train_.tokens.pieces.size());
  if (pieces > spec.model.vocab_size) {
    throw ConfigError(tokenizer, "the tokenizer has " + std::to_string(pieces) +
                                     " pieces, more than model.vocab_size " +
                                     std::to_string(spec.model.vocab_size) +
                                     " (raise model.vocab_size to at least " +
                                     std::to_string(pieces) + ")");
  }
  caption_token_ = train_.tokens.PieceId("<caption>");
  translate_token_ = train_.tokens.PieceId("<translate>");
  if (caption_token_ < 0 || translate_token_ < 0) {
    throw ConfigError(tokenizer, "not a florenz tokenizer (no <caption> and <translate> symbols)");
  }
  for (const auto& language : options_.languages) {
    const int32_t id = train_.tokens.PieceId(LanguageSymbol(language.name));
    if (id < 0) {
      throw ConfigError(tokenizer, "the tokenizer has no " + LanguageSymbol(language.name) +
                                       ": train it on shards that hold language '" + language.name +
                                       "'");
    }
    language_token_.push_back(id);
  }

  for (size_t p = 0; p < pairs_.size(); ++p) pair_of_name_[pairs_[p].name] = static_cast<int>(p);
  for (size_t i = 0; i < train_.index.samples.size(); ++i) {
    auto it = pair_of_name_.find(train_.index.samples[i].PairName());
    if (it != pair_of_name_.end() && pairs_[it->second].role == PairRole::kTrain) {
      eligible_.push_back(static_cast<int64_t>(i));
    }
  }
  if (eligible_.empty()) {
    throw ConfigError(SourceLocation{options_.train, 0, 0},
                      "the train shards hold no sample of the grid's trained pairs");
  }
  eval_samples_.resize(pairs_.size());
  for (size_t i = 0; i < eval_.index.samples.size(); ++i) {
    auto it = pair_of_name_.find(eval_.index.samples[i].PairName());
    if (it != pair_of_name_.end()) eval_samples_[it->second].push_back(static_cast<int64_t>(i));
  }
}

const ShardSampler& ShardSource::Sampler(int64_t run_seed) const {
  std::lock_guard<std::mutex> lock(samplers_mutex_);
  auto& sampler = samplers_[run_seed];
  if (!sampler)
    sampler = std::make_unique<ShardSampler>(eligible_, static_cast<uint64_t>(run_seed));
  return *sampler;
}

int64_t ShardSource::TrainSampleAt(int64_t run_seed, int64_t index) const {
  return Sampler(run_seed).At(index);
}

Example ShardSource::Read(const Split& split, int64_t sample, int pair) const {
  const IndexedSample& s = split.index.samples[sample];
  const TarReader& reader = *split.readers[s.shard];
  Example e;
  e.pair = pair;
  e.where = reader.path() + ":" + s.key;
  const Pair& p = pairs_[pair];
  const bool with_image = p.task == Task::kCaption || options_.translate_with_image;
  if (with_image && s.image != ImageKind::kNone) {
    if (options_.image == ImageMode::kFeatures) {
      if (s.image != ImageKind::kFeatures) {
        throw ConfigError(std::vector<std::string>{e.where + ": a " + ToString(s.image) +
                                                   " image, but data.image is features (.npy)"});
      }
      // float32 [tokens, dim] and a header: more cannot be features of feature_shape.
      const uint64_t limit = 4 * static_cast<uint64_t>(options_.feature_shape[0]) *
                                 static_cast<uint64_t>(options_.feature_shape[1]) +
                             (uint64_t{1} << 20);
      if (s.image_size > limit) {
        throw ConfigError(std::vector<std::string>{
            e.where + ": the .npy member is " + std::to_string(s.image_size) +
            " bytes, more than features of data.feature_shape can take (" + std::to_string(limit) +
            "): not read"});
      }
      const std::string bytes = reader.Read(s.image_offset, s.image_size);
      FeatureArray features = ReadNpyFeatures(bytes, e.where);
      if (features.tokens != options_.feature_shape[0] ||
          features.dim != options_.feature_shape[1]) {
        throw ConfigError(std::vector<std::string>{
            e.where + ": features [" + std::to_string(features.tokens) + ", " +
            std::to_string(features.dim) + "], but data.feature_shape is [" +
            std::to_string(options_.feature_shape[0]) + ", " +
            std::to_string(options_.feature_shape[1]) + "]"});
      }
      e.image = std::move(features.values);
      e.image_tokens = features.tokens;
    } else {
      if (s.image == ImageKind::kFeatures) {
        throw ConfigError(std::vector<std::string>{
            e.where + ": precomputed features (.npy), but data.image is pixels (jpg/png)"});
      }
      const std::string bytes = reader.Read(s.image_offset, s.image_size);
      e.image =
          DecodeAndResize(s.image, bytes, options_.image_size, e.where, options_.max_image_pixels);
    }
  }
  const int max_tokens = options_.max_caption_tokens;
  e.prompt = {language_token_[p.language],
              p.task == Task::kCaption ? caption_token_ : translate_token_};
  if (p.task == Task::kTranslate) {
    const std::vector<int32_t> source = Truncated(split.tokens.Source(sample), max_tokens);
    e.prompt.insert(e.prompt.end(), source.begin(), source.end());
  }
  e.target = Truncated(split.tokens.Text(sample), max_tokens - 1);
  e.target.push_back(kEos);
  return e;
}

Example ShardSource::TrainExample(int64_t run_seed, int64_t index) const {
  const ShardSampler& sampler = Sampler(run_seed);
  const int64_t n = sampler.size();
  std::string first_problem;
  for (int attempt = 0; attempt <= kMaxReplacements; ++attempt) {
    const int64_t sample = sampler.At(index + attempt * n);
    const int pair = pair_of_name_.at(train_.index.samples[sample].PairName());
    try {
      return Read(train_, sample, pair);
    } catch (const std::exception& e) {  // ConfigError (the data) or IoError (the shard)
      if (options_.on_bad_sample == BadSampleAction::kStop) {
        throw RunError(std::string(e.what()) + " (data.on_bad_sample: skip would skip it)");
      }
      if (first_problem.empty()) first_problem = e.what();
      skipped_.fetch_add(1);
    }
  }
  throw RunError("no readable sample in " + std::to_string(kMaxReplacements + 1) +
                 " tries for position " + std::to_string(index) + "; the first: " + first_problem);
}

int64_t ShardSource::EvalSetSize(int pair, int64_t wanted) const {
  return std::min<int64_t>(wanted, static_cast<int64_t>(eval_samples_[pair].size()));
}

Example ShardSource::EvalExample(int pair, int64_t index) const {
  const auto& samples = eval_samples_[pair];
  const int64_t n = static_cast<int64_t>(samples.size());
  for (int64_t attempt = 0; attempt < std::min<int64_t>(n, kMaxReplacements + 1); ++attempt) {
    try {
      return Read(eval_, samples[(index + attempt) % n], pair);
    } catch (const std::exception& e) {
      if (options_.on_bad_sample == BadSampleAction::kStop) {
        throw RunError(std::string(e.what()) + " (data.on_bad_sample: skip would skip it)");
      }
    }
  }
  throw RunError("no readable evaluation sample of " + pairs_[pair].name + " near " +
                 std::to_string(index));
}

std::string ShardSource::EvalReference(int pair, int64_t index) const {
  const IndexedSample& s = eval_.index.samples[eval_samples_[pair][index]];
  const TarReader& reader = *eval_.readers[s.shard];
  return ParseSampleLabel(reader.Read(s.json_offset, s.json_size), reader.path() + ":" + s.key)
      .text;
}

void ShardSource::TrainIdentifier() const {
  std::vector<eval::LabeledText> texts;
  // At most this many texts per language: enough for a character n-gram model.
  constexpr int64_t kPerLanguage = 5000;
  std::map<std::string, int64_t> taken;
  for (const IndexedSample& s : train_.index.samples) {
    const bool want_text = taken[s.lang] < kPerLanguage;
    const bool want_source = !s.src_lang.empty() && taken[s.src_lang] < kPerLanguage;
    if (!want_text && !want_source) continue;
    const TarReader& reader = *train_.readers[s.shard];
    const SampleLabel label =
        ParseSampleLabel(reader.Read(s.json_offset, s.json_size), reader.path() + ":" + s.key);
    if (want_text) {
      texts.push_back({label.lang, label.text});
      ++taken[label.lang];
    }
    if (want_source) {
      texts.push_back({label.src_lang, label.src_text});
      ++taken[label.src_lang];
    }
  }
  identifier_ = eval::TrainLanguageIdentifier(texts);
}

const eval::NgramLanguageIdentifier& ShardSource::language_identifier() const {
  std::call_once(identifier_once_, [this] { TrainIdentifier(); });
  return identifier_->model;
}

double ShardSource::language_identifier_accuracy() const {
  language_identifier();
  return identifier_->held_out_accuracy;
}

void ShardSource::DescribeRun(int64_t run_seed, int64_t samples,
                              std::vector<std::pair<std::string, double>>* numbers,
                              std::vector<std::pair<std::string, std::string>>* strings) const {
  numbers->push_back({"corpus_samples", static_cast<double>(eligible_.size())});
  numbers->push_back({"epochs_seen", Sampler(run_seed).EpochsSeen(samples)});
  numbers->push_back({"bad_samples_indexed", static_cast<double>(train_.index.skipped.size())});
  if (language_accuracy_)
    numbers->push_back({"language_id_accuracy", language_identifier_accuracy()});
  strings->push_back({"tokenizer_hash", train_.tokens.tokenizer_hash});
  strings->push_back({"train_index", train_.index.key});
  strings->push_back({"eval_index", eval_.index.key});
}

}  // namespace florenz::data
