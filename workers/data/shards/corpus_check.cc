// Checks of a shards grid's corpus (corpus_check.h).
#include "workers/data/shards/corpus_check.h"

#include <filesystem>

#include "core/errors.h"
#include "workers/data/data_check.h"
#include "workers/data/shards/npy_features.h"
#include "workers/data/shards/shard_source.h"
#include "workers/data/shards/tar_file.h"

namespace florenz::data {
namespace {

std::string Counts(const std::map<std::string, int64_t>& counts) {
  std::string text;
  for (const auto& [pair, n] : counts) {
    text += (text.empty() ? "" : ", ") + pair + " " + std::to_string(n);
  }
  return text.empty() ? "no samples" : text;
}

// The first image of `index`, against data.image and data.feature_shape.
void CheckFirstImage(const DataOptions& d, const ShardIndex& index, const SpecLocations& where,
                     Diagnostics* problems) {
  for (const IndexedSample& s : index.samples) {
    if (s.image == ImageKind::kNone) continue;
    const std::string at = index.shards[s.shard] + ":" + s.key;
    if ((d.image == ImageMode::kFeatures) != (s.image == ImageKind::kFeatures)) {
      problems->Error(where.OfOr(d.image, d), "data.image: " + ToString(d.image) +
                                                  ", but the first image of the shards (" + at +
                                                  ") is ." + ToString(s.image));
      return;
    }
    if (d.image != ImageMode::kFeatures || d.feature_shape.size() != 2) return;
    TarReader reader(index.shards[s.shard]);
    const FeatureArray f = ReadNpyFeatures(reader.Read(s.image_offset, s.image_size), at);
    if (f.tokens != d.feature_shape[0] || f.dim != d.feature_shape[1]) {
      problems->Error(where.OfOr(d.feature_shape, d),
                      "data.feature_shape: [" + std::to_string(d.feature_shape[0]) + ", " +
                          std::to_string(d.feature_shape[1]) + "], but the first sample (" + at +
                          ") has features [" + std::to_string(f.tokens) + ", " +
                          std::to_string(f.dim) + "]");
    }
    return;
  }
}

void CheckCorpus(const ExperimentSpec& spec, const SpecLocations& where, Diagnostics* problems) {
  const DataOptions& d = spec.data;
  if (!std::filesystem::is_regular_file(d.tokenizer)) {
    problems->Error(where.OfOr(d.tokenizer, d), "data.tokenizer: no such file '" + d.tokenizer +
                                                    "' (train one with `florenz data tokenizer " +
                                                    d.train + " --out " + d.tokenizer + "`)");
  }
  CorpusFiles files;
  try {
    const ShardIndexOptions options = CorpusIndexOptions(d);
    files.train = IndexShards(d.train, options);
    files.eval = IndexShards(d.eval, options);
  } catch (const ConfigError& e) {  // a missing shard, or SHARD:KEY of a bad sample
    for (const auto& message : e.messages()) {
      problems->Error(where.OfOr(d.train, d), "data: " + message);
    }
    return;
  } catch (const IoError& e) {
    problems->Error(where.OfOr(d.train, d), std::string("data: ") + e.what());
    return;
  }
  const auto train_counts = files.train.PairCounts(), eval_counts = files.eval.PairCounts();
  for (const auto& [task, languages] : d.coverage) {
    for (const auto& [language, role] : languages) {
      const std::string pair = PairName(task, language);
      if (role == PairRole::kTrain && train_counts.count(pair) == 0) {
        problems->Error(where.OfOr(role, d.coverage),
                        "data.coverage: " + pair + " is trained, but the train shards '" + d.train +
                            "' hold no " + pair + " sample (they hold " + Counts(train_counts) +
                            ")");
      }
      if (eval_counts.count(pair) == 0) {
        problems->Error(where.OfOr(role, d.coverage),
                        "data.coverage: " + pair + " is evaluated, but the eval shards '" + d.eval +
                            "' hold no " + pair + " sample (they hold " + Counts(eval_counts) +
                            ")");
      }
    }
  }
  try {
    CheckFirstImage(d, files.train, where, problems);
  } catch (const ConfigError& e) {
    for (const auto& message : e.messages()) problems->Error(where.OfOr(d.image, d), message);
  }
}

}  // namespace

void CheckGridData(const ExperimentSpec& spec, const SpecLocations& where, Diagnostics* problems) {
  CheckDataSpec(spec, where, problems);
  if (spec.data.source == DataSourceKind::kShards) CheckCorpus(spec, where, problems);
}

}  // namespace florenz::data
