// The corpus tokenizer: trained on an exported grid's shards it round-trips their texts, has one
// piece per control symbol, is deterministic (same bytes, same hash), and a file that is not
// florenz's model is refused.
#include "workers/data/shards/tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/errors.h"
#include "experiments/grid_loader.h"
#include "experiments/results_dir.h"
#include "tests/workers/data/shards/shards_test_util.h"
#include "workers/data/data_check.h"
#include "workers/data/shards/sample_label.h"
#include "workers/data/shards/synthetic_export.h"
#include "workers/data/shards/tar_file.h"

namespace florenz::data {
namespace {

using ::testing::HasSubstr;

TEST(TokenizerTest, TrainedOnACorpusItRoundTripsItsTextsWithOnePiecePerSymbol) {
  const auto dir = testing::ShardsTestFolder();
  const LoadedGrid grid = LoadGridFromString(testing::kShardsGrid, "shards.yaml", CheckDataSpec);
  ExportOptions exported;
  exported.scenes = 300;
  const ExportSummary shards =
      ExportSyntheticShards(grid.spec, (dir / "corpus").string(), exported);
  const ShardIndexOptions no_cache;  // cache_dir "": no cache
  const ShardIndex index = IndexShards(shards.pattern, no_cache);
  TokenizerOptions options;
  options.vocab_size = 120;
  const std::string model = (dir / "tok.model").string();
  const TokenizerSummary summary = TrainTokenizer(index, model, options);
  EXPECT_EQ(summary.sentences, 1200);  // 900 samples, 300 of them translations with a source
  EXPECT_EQ(summary.languages, (std::vector<std::string>{"de", "en"}));
  EXPECT_GT(summary.vocab_size, 40);
  EXPECT_LE(summary.vocab_size, 120);

  const Tokenizer tokenizer = Tokenizer::Load(model);
  EXPECT_EQ(tokenizer.hash(), summary.hash);
  EXPECT_GT(tokenizer.LanguageToken("de"), Tokenizer::kEos);
  EXPECT_NE(tokenizer.LanguageToken("de"), tokenizer.LanguageToken("en"));
  EXPECT_EQ(tokenizer.LanguageToken("zh"), -1);
  EXPECT_NE(tokenizer.CaptionToken(), tokenizer.TranslateToken());
  const TarReader reader(index.shards[0]);
  for (int i = 0; i < 30; ++i) {
    const IndexedSample& s = index.samples[i];
    const SampleLabel label = ParseSampleLabel(reader.Read(s.json_offset, s.json_size), "");
    const std::vector<int32_t> ids = tokenizer.Encode(label.text);
    EXPECT_FALSE(ids.empty());
    for (const int32_t id : ids) EXPECT_NE(id, Tokenizer::kUnk) << label.text;
    EXPECT_EQ(tokenizer.Decode(ids), label.text);
  }
  // A control symbol inside a text is not the control token.
  for (const int32_t id : tokenizer.Encode("<caption> x")) EXPECT_NE(id, tokenizer.CaptionToken());

  // Deterministic: trained again, the same bytes.
  const TokenizerSummary again = TrainTokenizer(index, (dir / "again.model").string(), options);
  EXPECT_EQ(again.hash, summary.hash);
}

TEST(TokenizerTest, AFileThatIsNotFlorenzsModelIsRefused) {
  const auto dir = testing::ShardsTestFolder();
  testing::WriteText(dir / "garbage.model", "not a model");
  EXPECT_THAT([&] { Tokenizer::Load((dir / "garbage.model").string()); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("not a SentencePiece model")));
  EXPECT_THAT([&] { Tokenizer::Load((dir / "missing.model").string()); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("no such tokenizer model")));
}

}  // namespace
}  // namespace florenz::data
