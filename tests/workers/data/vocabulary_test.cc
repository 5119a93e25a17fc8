// The shared vocabulary: stable ids, specials first, padding, encode/decode.
#include "workers/data/vocabulary.h"

#include <gtest/gtest.h>

#include "tests/workers/data/data_test_util.h"
#include "workers/data/data_generator.h"

namespace florenz::data {
namespace {

TEST(VocabularyTest, SpecialsAndLanguageTokensComeFirst) {
  const DataGenerator data(testing::LoadDataGrid(testing::PaperDataGrid()).spec);
  const Vocabulary& v = data.vocabulary();
  EXPECT_EQ(v.Token(Vocabulary::kPad), "<pad>");
  EXPECT_EQ(v.Token(Vocabulary::kEos), "<eos>");
  EXPECT_EQ(v.Token(Vocabulary::kCaption), "<caption>");
  EXPECT_EQ(v.Token(v.LanguageToken(0)), "<lang_en>");
  EXPECT_EQ(v.Token(v.LanguageToken(5)), "<lang_zh>");
  EXPECT_EQ(v.Id("circle"), v.Id("circle"));
  EXPECT_EQ(v.Id("no-such-word"), Vocabulary::kUnk);
  EXPECT_GT(v.size(), 300);
  EXPECT_LE(v.size(), 1024);
}

TEST(VocabularyTest, IdsAreStableForAGivenDataSpec) {
  const DataGenerator one(testing::LoadDataGrid(testing::PaperDataGrid()).spec);
  const DataGenerator two(testing::LoadDataGrid(testing::PaperDataGrid()).spec);
  ASSERT_EQ(one.vocabulary().size(), two.vocabulary().size());
  for (int i = 0; i < one.vocabulary().size(); ++i) {
    EXPECT_EQ(one.vocabulary().Token(i), two.vocabulary().Token(i));
  }
}

TEST(VocabularyTest, PadsToAMultiple) {
  const DataGenerator data(testing::LoadDataGrid(testing::PaperDataGrid()).spec);
  const Vocabulary& v = data.vocabulary();
  EXPECT_EQ(v.PaddedSize(1), v.size());
  EXPECT_EQ(v.PaddedSize(64) % 64, 0);
  EXPECT_GE(v.PaddedSize(64), v.size());
  EXPECT_LT(v.PaddedSize(64), v.size() + 64);
}

TEST(VocabularyTest, DecodeStopsAtEos) {
  const DataGenerator data(testing::LoadDataGrid(testing::PaperDataGrid()).spec);
  const Vocabulary& v = data.vocabulary();
  auto ids = v.Encode({"the", "image", "shows"});
  ids.insert(ids.begin(), Vocabulary::kBos);
  ids.push_back(Vocabulary::kEos);
  ids.push_back(v.Id("circle"));
  EXPECT_EQ(v.Decode(ids), (std::vector<std::string>{"the", "image", "shows"}));
}

}  // namespace
}  // namespace florenz::data
