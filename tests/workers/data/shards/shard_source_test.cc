// A shards grid's data source, on a corpus exported from a synthetic grid: its token cache
// round-trips through the tokenizer's piece table, a run's stream visits every sample of the
// trained pairs once per epoch (never an evaluation-only pair's), the same seed gives the same
// order and data-parallel ranks disjoint halves; evaluation sets and prompts are as the grid
// says; a bad image stops the run with SHARD:KEY or, with on_bad_sample: skip, is replaced and
// counted — a decompression bomb too, refused from its header; validation reports uncovered
// pairs at the grid's line and bad samples (a text over data.max_text_bytes too) at SHARD:KEY.
#include "workers/data/shards/shard_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "core/errors.h"
#include "experiments/grid_loader.h"
#include "tests/workers/data/shards/image_bombs.h"
#include "tests/workers/data/shards/shards_test_util.h"
#include "workers/data/data_check.h"
#include "workers/data/shards/corpus_check.h"
#include "workers/data/shards/sample_label.h"
#include "workers/data/shards/synthetic_export.h"
#include "workers/data/shards/tar_file.h"
#include "workers/data/shards/tokenizer.h"

namespace florenz::data {
namespace {

using ::testing::HasSubstr;

// A corpus of the synthetic grid kShardsGrid: 60 train scenes (180 samples: caption_en,
// caption_de, translate_de), 20 eval scenes after them, a tokenizer and both token caches.
struct Corpus {
  std::filesystem::path dir;
  std::string train, eval, tokenizer;
  std::string cache;  // the grid's data.cache_dir
};

Corpus MakeCorpus(const std::filesystem::path& dir) {
  const LoadedGrid grid = LoadGridFromString(testing::kShardsGrid, "shards.yaml", CheckDataSpec);
  Corpus c{dir, "", "", (dir / "tok.model").string(), (dir / "cache").string()};
  ExportOptions train;
  train.scenes = 60;
  train.scenes_per_shard = 30;
  c.train = ExportSyntheticShards(grid.spec, (dir / "corpus").string(), train).pattern;
  ExportOptions eval;
  eval.scenes = 20;
  eval.first_scene = 60;
  eval.prefix = "eval";
  c.eval = ExportSyntheticShards(grid.spec, (dir / "corpus").string(), eval).pattern;
  TokenizerOptions options;
  options.vocab_size = 100;
  TrainTokenizer(IndexShards(c.train), c.tokenizer, options);
  const Tokenizer tokenizer = Tokenizer::Load(c.tokenizer);
  for (const std::string& pattern : {c.train, c.eval}) {
    const ShardIndex index = IndexShards(pattern);
    WriteTokenCache(TokenCachePath(index, tokenizer.hash(), c.cache), EncodeCorpus(index, tokenizer));
  }
  return c;
}

std::string ShardsGrid(const Corpus& c, const std::string& extra = "") {
  return "experiment: {name: corpus}\n"
         "data:\n"
         "  source: shards\n"
         "  train: '" +
         c.train +
         "'\n"
         "  eval: '" +
         c.eval +
         "'\n"
         "  tokenizer: '" +
         c.tokenizer +
         "'\n"
         "  cache_dir: '" +
         c.cache +
         "'\n"
         "  image: pixels\n"
         "  image_size: 16\n"
         "  languages: [en, de]\n"
         "  coverage:\n"
         "    caption: {en: train, de: eval}\n"
         "    translate: {de: train}\n" +
         extra +
         "model: {sizes: [xs], patch_size: 4}\n"
         "training: {budgets: [1k]}\n"
         "evaluation: {samples_per_pair: 8}\n";
}

TEST(ShardSourceTest, TheTokenCacheDecodesAsTheTokenizerDoes) {
  const Corpus c = MakeCorpus(testing::ShardsTestFolder());
  const Tokenizer tokenizer = Tokenizer::Load(c.tokenizer);
  const ShardIndex index = IndexShards(c.train);
  const TokenCache cache = ReadTokenCache(TokenCachePath(index, tokenizer.hash(), c.cache));
  ASSERT_EQ(cache.samples(), 180);
  EXPECT_EQ(cache.index_key, index.key);
  EXPECT_EQ(cache.tokenizer_hash, tokenizer.hash());
  EXPECT_EQ(cache.pieces.size(), static_cast<size_t>(tokenizer.size()));
  EXPECT_EQ(cache.PieceId("<lang_de>"), tokenizer.LanguageToken("de"));
  const TarReader reader(index.shards[0]);
  for (int i = 0; i < 30; ++i) {
    const IndexedSample& s = index.samples[i];
    const SampleLabel label = ParseSampleLabel(reader.Read(s.json_offset, s.json_size), "");
    EXPECT_EQ(cache.Text(i), tokenizer.Encode(label.text));
    EXPECT_EQ(cache.Decode(cache.Text(i)), label.text);
    EXPECT_EQ(cache.Source(i).empty(), label.task == Task::kCaption);
  }
  // </s> ends a text; control symbols have none.
  std::vector<int32_t> ids = cache.Text(0);
  ids.insert(ids.begin(), tokenizer.LanguageToken("en"));
  ids.push_back(Tokenizer::kEos);
  ids.push_back(cache.Text(1).front());
  EXPECT_EQ(cache.Decode(ids), cache.Decode(cache.Text(0)));
  // A cache cut short is refused.
  const std::string path = TokenCachePath(index, tokenizer.hash(), c.cache);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 3);
  EXPECT_THROW(ReadTokenCache(path), IoError);
}

TEST(ShardSourceTest, AnEpochVisitsEveryTrainedSampleOnceAndNeverAnEvaluationOnlyPair) {
  const Corpus c = MakeCorpus(testing::ShardsTestFolder());
  const LoadedGrid grid = LoadGridFromString(ShardsGrid(c), "corpus.yaml", CheckGridData);
  const ShardSource source(grid.spec);
  ASSERT_EQ(source.TrainSamples(), 120);  // caption_en and translate_de; caption_de is eval-only
  std::multiset<int64_t> epoch;
  std::vector<int64_t> order;
  for (int64_t i = 0; i < 120; ++i) {
    epoch.insert(source.TrainSampleAt(7, i));
    order.push_back(source.TrainSampleAt(7, i));
    const Example e = source.TrainExample(7, i);
    EXPECT_NE(source.pairs()[e.pair].name, "caption_de");
  }
  EXPECT_EQ(std::set<int64_t>(epoch.begin(), epoch.end()).size(), 120u);
  // The same seed, the same order; another seed, another; the next epoch, another permutation.
  for (int64_t i = 0; i < 120; ++i) EXPECT_EQ(source.TrainSampleAt(7, i), order[i]);
  int same = 0, next_epoch_same = 0;
  for (int64_t i = 0; i < 120; ++i) {
    same += source.TrainSampleAt(8, i) == order[i];
    next_epoch_same += source.TrainSampleAt(7, 120 + i) == order[i];
  }
  EXPECT_LT(same, 10);
  EXPECT_LT(next_epoch_same, 10);
  // Data-parallel ranks 0 and 1 of 2 (each the contiguous half of a step's 20 positions, as
  // GangContext::ShardOffset cuts them) read disjoint halves of an epoch.
  std::set<int64_t> rank0, rank1;
  for (int64_t i = 0; i < 120; ++i) (i % 20 < 10 ? rank0 : rank1).insert(order[i]);
  EXPECT_EQ(rank0.size(), 60u);
  EXPECT_EQ(rank1.size(), 60u);
  for (int64_t s : rank0) EXPECT_EQ(rank1.count(s), 0u);

  std::vector<std::pair<std::string, double>> numbers;
  std::vector<std::pair<std::string, std::string>> strings;
  source.DescribeRun(7, 300, &numbers, &strings);
  EXPECT_THAT(numbers, ::testing::Contains(std::pair<std::string, double>{"epochs_seen", 2.5}));
  EXPECT_THAT(numbers, ::testing::Contains(std::pair<std::string, double>{"corpus_samples", 120}));
  EXPECT_THAT(strings, ::testing::Contains(std::pair<std::string, std::string>{
                           "tokenizer_hash", Tokenizer::Load(c.tokenizer).hash()}));
}

TEST(ShardSourceTest, ExamplesCarryThePromptTheTargetAndTheDecodedImage) {
  const Corpus c = MakeCorpus(testing::ShardsTestFolder());
  const LoadedGrid grid = LoadGridFromString(ShardsGrid(c), "corpus.yaml", CheckGridData);
  const ShardSource source(grid.spec);
  const Tokenizer tokenizer = Tokenizer::Load(c.tokenizer);
  const int translate = source.FindPair(Task::kTranslate, "de");
  const int caption_de = source.FindPair(Task::kCaption, "de");
  ASSERT_GE(translate, 0);
  EXPECT_EQ(source.EvalSetSize(caption_de, 8), 8);
  EXPECT_EQ(source.EvalSetSize(caption_de, 1000), 20);  // the eval shards have 20
  const Example e = source.EvalExample(translate, 3);
  EXPECT_EQ(e.pair, translate);
  EXPECT_EQ(e.image.size(), 3u * 16 * 16);
  ASSERT_GE(e.prompt.size(), 3u);
  EXPECT_EQ(e.prompt[0], tokenizer.LanguageToken("de"));
  EXPECT_EQ(e.prompt[1], tokenizer.TranslateToken());
  EXPECT_EQ(e.target.back(), Tokenizer::kEos);
  EXPECT_EQ(source.DecodeText(e.target), source.EvalReference(translate, 3));
  EXPECT_THAT(e.where, HasSubstr("eval-000000.tar:00000063-translate_de"));
}

// Replaces the PNG of `key` in the first train shard by `bytes` (by default, bytes that are no
// image).
void CorruptImage(const Corpus& c, const std::string& key, const std::string& bytes = "") {
  const std::string shard = (c.dir / "corpus" / "train-000000.tar").string();
  const auto members = ListTarMembers(shard);
  const TarReader reader(shard);
  const std::string broken = shard + ".new";
  {
    TarWriter writer(broken);
    for (const auto& m : members) {
      writer.Add(m.name, m.name != key + ".png" ? reader.Read(m.offset, m.size)
                         : bytes.empty()        ? std::string(m.size, 'x')
                                                : bytes);
    }
    writer.Close();
  }
  std::filesystem::rename(broken, shard);
}

TEST(ShardSourceTest, ABadImageStopsTheRunWithItsShardAndKeyUnlessSkipped) {
  Corpus c = MakeCorpus(testing::ShardsTestFolder());
  CorruptImage(c, "00000000-caption_en");
  // The shard changed: its index and token caches are made again (as `florenz run` does).
  const Tokenizer tokenizer = Tokenizer::Load(c.tokenizer);
  const ShardIndex index = IndexShards(c.train);
  WriteTokenCache(TokenCachePath(index, tokenizer.hash(), c.cache), EncodeCorpus(index, tokenizer));
  int64_t bad = -1;
  for (size_t i = 0; i < index.samples.size(); ++i) {
    if (index.samples[i].key == "00000000-caption_en") bad = static_cast<int64_t>(i);
  }
  ASSERT_GE(bad, 0);

  const LoadedGrid stop = LoadGridFromString(ShardsGrid(c), "corpus.yaml", CheckGridData);
  const ShardSource stopping(stop.spec);
  int64_t position = -1;
  for (int64_t i = 0; i < 120 && position < 0; ++i) {
    if (stopping.TrainSampleAt(3, i) == bad) position = i;
  }
  ASSERT_GE(position, 0);
  EXPECT_THAT(
      [&] { stopping.TrainExample(3, position); },
      ::testing::ThrowsMessage<RunError>(HasSubstr("train-000000.tar:00000000-caption_en")));

  const LoadedGrid skip =
      LoadGridFromString(ShardsGrid(c, "  on_bad_sample: skip\n"), "corpus.yaml", CheckGridData);
  const ShardSource skipping(skip.spec);
  const Example replaced = skipping.TrainExample(3, position);
  EXPECT_THAT(replaced.where, ::testing::Not(HasSubstr("00000000-caption_en")));
  EXPECT_EQ(skipping.BadSamplesSkipped(), 1);
  EXPECT_EQ(skipping.TrainExample(3, position).where, replaced.where);  // deterministic
}

TEST(ShardSourceTest, ADecompressionBombStopsTheRunWithItsShardAndKeyUnlessSkipped) {
  Corpus c = MakeCorpus(testing::ShardsTestFolder());
  CorruptImage(c, "00000001-caption_en", testing::PngBomb(30000, 30000));
  const Tokenizer tokenizer = Tokenizer::Load(c.tokenizer);
  const ShardIndex index = IndexShards(c.train);
  WriteTokenCache(TokenCachePath(index, tokenizer.hash(), c.cache), EncodeCorpus(index, tokenizer));
  int64_t bad = -1;
  for (size_t i = 0; i < index.samples.size(); ++i) {
    if (index.samples[i].key == "00000001-caption_en") bad = static_cast<int64_t>(i);
  }
  ASSERT_GE(bad, 0);
  const LoadedGrid stop = LoadGridFromString(ShardsGrid(c), "corpus.yaml", CheckGridData);
  const ShardSource stopping(stop.spec);
  int64_t position = -1;
  for (int64_t i = 0; i < 120 && position < 0; ++i) {
    if (stopping.TrainSampleAt(3, i) == bad) position = i;
  }
  ASSERT_GE(position, 0);
  EXPECT_THAT([&] { stopping.TrainExample(3, position); },
              ::testing::ThrowsMessage<RunError>(::testing::AllOf(
                  HasSubstr("train-000000.tar:00000001-caption_en: an image of 30000 × 30000"),
                  HasSubstr("data.max_image_pixels (40000000)"))));
  const LoadedGrid skip =
      LoadGridFromString(ShardsGrid(c, "  on_bad_sample: skip\n"), "corpus.yaml", CheckGridData);
  const ShardSource skipping(skip.spec);
  EXPECT_THAT(skipping.TrainExample(3, position).where,
              ::testing::Not(HasSubstr("00000001-caption_en")));
  EXPECT_EQ(skipping.BadSamplesSkipped(), 1);
}

TEST(ShardSourceTest, ATextOverTheLimitIsABadSampleAtValidationUnlessTheGridAllowsIt) {
  const Corpus c = MakeCorpus(testing::ShardsTestFolder());
  // The eval shard again, with one more caption of 70,000 bytes.
  const std::string shard = (c.dir / "corpus" / "eval-000000.tar").string();
  const auto members = ListTarMembers(shard);
  {
    const TarReader reader(shard);
    TarWriter writer(shard + ".new");
    for (const auto& m : members) writer.Add(m.name, reader.Read(m.offset, m.size));
    writer.Add("00000099-caption_en.json",
               R"({"task": "caption", "lang": "en", "text": ")" + std::string(70000, 'w') + "\"}");
    writer.Add("00000099-caption_en.png", "x");
    writer.Close();
  }
  std::filesystem::rename(shard + ".new", shard);
  EXPECT_THAT([&] { LoadGridFromString(ShardsGrid(c), "corpus.yaml", CheckGridData); },
              ::testing::ThrowsMessage<ConfigError>(::testing::AllOf(
                  HasSubstr("eval-000000.tar:00000099-caption_en: the .json member is 70045 "
                            "bytes, more than data.max_text_bytes (65536): not read"))));
  const std::string allowed = ShardsGrid(c, "  max_text_bytes: 131072\n");
  const LoadedGrid grid = LoadGridFromString(allowed, "corpus.yaml", CheckGridData);
  EXPECT_EQ(grid.spec.data.max_text_bytes, 131072);
  EXPECT_EQ(CorpusIndexOptions(grid.spec.data).max_text_bytes, 131072);
  // Out of range: the grid's line.
  EXPECT_THAT(
      [&] {
        LoadGridFromString(ShardsGrid(c, "  max_text_bytes: 100\n  max_image_pixels: 10\n"),
                           "corpus.yaml", CheckGridData);
      },
      ::testing::ThrowsMessage<ConfigError>(::testing::AllOf(
          HasSubstr("corpus.yaml:14:19: data.max_text_bytes: must be 256-67108864"),
          HasSubstr("corpus.yaml:15:21: data.max_image_pixels: must be 1024-4294967296"))));
}

TEST(ShardSourceTest, ValidationNamesTheGridLineForAnUncoveredPairAndTheShardForABadSample) {
  const Corpus c = MakeCorpus(testing::ShardsTestFolder());
  // caption_fr is nowhere in the shards.
  std::string grid = ShardsGrid(c);
  grid.replace(grid.find("languages: [en, de]"), 19, "languages: [en, de, fr]");
  grid.replace(grid.find("{de: train}"), 11, "{de: train, fr: train}");
  EXPECT_THAT([&] { LoadGridFromString(grid, "corpus.yaml", CheckGridData); },
              ::testing::ThrowsMessage<ConfigError>(::testing::AllOf(
                  HasSubstr("corpus.yaml:13:"), HasSubstr("translate_fr is trained"),
                  HasSubstr("hold no translate_fr sample"))));
  // A JSON without its text: SHARD:KEY.
  const std::string shard = (c.dir / "corpus" / "eval-000000.tar").string();
  {
    TarWriter writer(shard);
    writer.Add("00000099-caption_en.json", "{\"task\": \"caption\", \"lang\": \"en\"}");
    writer.Add("00000099-caption_en.png", "x");
    writer.Close();
  }
  EXPECT_THAT(
      [&] { LoadGridFromString(ShardsGrid(c), "corpus.yaml", CheckGridData); },
      ::testing::ThrowsMessage<ConfigError>(HasSubstr("eval-000000.tar:00000099-caption_en")));
  // A missing tokenizer: the grid's line.
  std::filesystem::remove(c.tokenizer);
  EXPECT_THAT([&] { LoadGridFromString(ShardsGrid(c), "corpus.yaml", CheckGridData); },
              ::testing::ThrowsMessage<ConfigError>(
                  ::testing::AllOf(HasSubstr("corpus.yaml:6:"), HasSubstr("data.tokenizer"))));
}

}  // namespace
}  // namespace florenz::data
