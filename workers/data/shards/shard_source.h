// ShardSource: a grid's samples from the user's WebDataset shards (data.source: shards;
// docs/data.md, "Your own corpus"). Training sample i of a run is the indexed train sample at
// stream position i of the run's seeded per-epoch permutation (shard_sampler.h) over the samples
// of the grid's trained pairs — a pair marked `eval` is never trained, even when the train
// shards hold it — read by random access: its image decoded and resized (pixels) or read
// (features), its texts' token ids from the token cache. Evaluation sets are the first
// evaluation.samples_per_pair samples of each pair in the eval shards, in index order.
//
// A bad sample (undecodable image, an image of more than data.max_image_pixels, features of
// another shape, a member that cannot be read) stops the run with SHARD:KEY and the reason; with
// data.on_bad_sample: skip it is replaced by the sample at the same position of the following
// epoch's permutation and counted.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "workers/data/data_source.h"
#include "workers/data/shards/shard_index.h"
#include "workers/data/shards/shard_sampler.h"
#include "workers/data/shards/tar_file.h"
#include "workers/data/shards/token_cache.h"
#include "workers/eval/ngram_language_id.h"

namespace florenz::data {

// The train and eval indexes of a shards grid and their token caches' paths.
struct CorpusFiles {
  ShardIndex train, eval;
  std::string tokenizer_hash;
  std::string train_tokens, eval_tokens;  // token cache paths
};

// The folder a grid's corpus caches live in: data.cache_dir (`florenz run` makes it the results
// folder's cache/ when the grid names none), else the user's (UserCacheDir); "" when neither.
std::string CorpusCacheDir(const DataOptions& data);

// How a grid indexes its shards: data.on_bad_sample, the data.max_* limits, its cache folder.
ShardIndexOptions CorpusIndexOptions(const DataOptions& data);

// Indexes the grid's train and eval shards (cached in CorpusCacheDir) and names their token
// caches there. Throws ConfigError for a missing shard or tokenizer, "SHARD:KEY: …" for a bad
// sample (unless data.on_bad_sample: skip), and when there is no cache folder at all.
CorpusFiles LocateCorpus(const DataOptions& data);

class ShardSource : public DataSource {
 public:
  // Loads what LocateCorpus names; the token caches must exist (`florenz run` makes them with
  // the tokenizer process first). Throws ConfigError when the tokenizer lacks a grid language's
  // <lang_xx> or has more pieces than model.vocab_size, IoError for a missing token cache.
  explicit ShardSource(const ExperimentSpec& spec);

  const std::vector<Pair>& pairs() const override { return pairs_; }
  const std::string& LanguageName(int language) const override {
    return options_.languages[language].name;
  }
  Example TrainExample(int64_t run_seed, int64_t index) const override;
  int64_t EvalSetSize(int pair, int64_t wanted) const override;
  Example EvalExample(int pair, int64_t index) const override;
  // tokenizer_hash, train_index, eval_index; corpus_samples (of the trained pairs),
  // epochs_seen (the budget over them: repetition changes scaling), bad_samples_indexed, and
  // language_id_accuracy (the identifier's own held-out accuracy) when language_accuracy is asked.
  void DescribeRun(int64_t run_seed, int64_t samples,
                   std::vector<std::pair<std::string, double>>* numbers,
                   std::vector<std::pair<std::string, std::string>>* strings) const override;
  int64_t BadSamplesSkipped() const override { return skipped_.load(); }
  const ShardSource* corpus() const override { return this; }

  const DataOptions& options() const { return options_; }
  // Samples a run may train on: those of the trained pairs in the train shards.
  int64_t TrainSamples() const { return static_cast<int64_t>(eligible_.size()); }
  // The sample number (into the train index) at `index` of a run's stream, before any skip.
  int64_t TrainSampleAt(int64_t run_seed, int64_t index) const;
  // Text of generated token ids.
  std::string DecodeText(const std::vector<int32_t>& ids) const {
    return train_tokens_.Decode(ids);
  }
  // The reference text of evaluation sample `index` of pair `pair` (the JSON's text, as written).
  std::string EvalReference(int pair, int64_t index) const;
  // Trained on the train shards' texts at first use (eval/ngram_language_id.h).
  const eval::NgramLanguageIdentifier& language_identifier() const;
  double language_identifier_accuracy() const;

 private:
  struct Split {
    ShardIndex index;
    TokenCache tokens;
    std::vector<std::unique_ptr<TarReader>> readers;
  };
  Example Read(const Split& split, int64_t sample, int pair) const;
  const ShardSampler& Sampler(int64_t run_seed) const;
  void TrainIdentifier() const;

  DataOptions options_;
  std::vector<Pair> pairs_;
  std::map<std::string, int> pair_of_name_;
  Split train_, eval_;
  const TokenCache& train_tokens_ = train_.tokens;
  std::vector<int64_t> eligible_;                   // train samples of trained pairs
  std::vector<std::vector<int64_t>> eval_samples_;  // per pair, eval index order
  std::vector<int32_t> language_token_;             // per grid language
  int32_t caption_token_ = -1, translate_token_ = -1;
  bool language_accuracy_ = false;  // the grid asks for it: DescribeRun reports the identifier's

  mutable std::mutex samplers_mutex_;
  mutable std::map<int64_t, std::unique_ptr<ShardSampler>> samplers_;
  mutable std::atomic<int64_t> skipped_{0};
  mutable std::once_flag identifier_once_;
  mutable std::optional<eval::LanguageIdentifierReport> identifier_;
};

}  // namespace florenz::data
