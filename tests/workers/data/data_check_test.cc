// The data generator's grid checks: FILE:LINE:COLUMN errors for what only it can judge.
#include "workers/data/data_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/workers/data/data_test_util.h"

namespace florenz::data {
namespace {

using ::testing::HasSubstr;

std::string Error(const std::string& text) {
  try {
    testing::LoadDataGrid(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string With(const std::string& from, const std::string& to) {
  std::string text = testing::PaperDataGrid();
  text.replace(text.find(from), from.size(), to);
  return text;
}

TEST(DataCheckTest, ThePaperGridPasses) { EXPECT_EQ(Error(testing::PaperDataGrid()), ""); }

TEST(DataCheckTest, UnknownHomonym) {
  EXPECT_THAT(Error(With("[bat, bow]", "[bat, bank]")),
              HasSubstr("data.yaml:11:26: data.ambiguous_words: 'bank' is not a homonym "
                        "florenz knows"));
}

TEST(DataCheckTest, VocabularyTooLargeForTheEmbedding) {
  EXPECT_THAT(Error(With("vocab_size: 1024", "vocab_size: 128")),
              HasSubstr("data.yaml:12:21: model.vocab_size: 128 is smaller than the data's "
                        "vocabulary"));
}

TEST(DataCheckTest, CaptionsLongerThanMaxCaptionTokens) {
  EXPECT_THAT(Error(With("max_caption_tokens: 48", "max_caption_tokens: 8")),
              HasSubstr("data.yaml:6:23: data.max_caption_tokens: 8 is too short"));
}

TEST(DataCheckTest, MoreObjectsThanFitTheImage) {
  std::string text = With("image: symbolic", "image: rendered");
  text.replace(text.find("max_objects: 2"), 14, "max_objects: 9");
  text.replace(text.find("max_caption_tokens: 48"), 22, "max_caption_tokens: 200");
  EXPECT_THAT(Error(text), HasSubstr("data.max_objects: 9 objects do not fit a 32-pixel image"));
}

TEST(DataCheckTest, OneWordForBothSensesIsRefused) {
  // A Spanish-like language that borrows English nouns: both senses of "bow" share a word.
  std::string text = With("[en, de, fr, es, ru, zh]",
                          "[en, de, fr, es, ru, zh, {name: xx, preset: en, prefix: xx shows}]");
  text.replace(text.find("ru: train, zh: train}"), 21, "ru: train, zh: train, xx: train}");
  EXPECT_THAT(Error(text), HasSubstr("'xx' uses one word for both senses of 'bat'"));
}

}  // namespace
}  // namespace florenz::data
