// The sample JSON: both tasks parse, every missing or wrong field is named with SHARD:KEY, and
// what export writes parses back.
#include "workers/data/shards/sample_label.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/errors.h"

namespace florenz::data {
namespace {

using ::testing::HasSubstr;

TEST(SampleLabelTest, CaptionAndTranslationParse) {
  const SampleLabel caption =
      ParseSampleLabel(R"({"task": "caption", "lang": "de", "text": "ein roter Kreis"})", "s:k");
  EXPECT_EQ(caption.task, Task::kCaption);
  EXPECT_EQ(caption.lang, "de");
  EXPECT_EQ(caption.text, "ein roter Kreis");
  const SampleLabel translation = ParseSampleLabel(
      R"({"task": "translate", "src_lang": "en", "lang": "zh", "src_text": "a red circle",
          "text": "一个红色的圆", "extra": 1})",
      "s:k");
  EXPECT_EQ(translation.task, Task::kTranslate);
  EXPECT_EQ(translation.src_lang, "en");
  EXPECT_EQ(translation.text, "一个红色的圆");
  const SampleLabel back = ParseSampleLabel(SampleLabelJson(translation), "s:k");
  EXPECT_EQ(back.src_text, "a red circle");
  EXPECT_EQ(back.lang, "zh");
  EXPECT_EQ(ParseSampleLabel(SampleLabelJson(caption), "s:k").text, "ein roter Kreis");
}

TEST(SampleLabelTest, EveryProblemIsNamedWithShardAndKey) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"task": "caption", "lang": "de"})", "has no \"text\""},
      {R"({"lang": "de", "text": "x"})", "has no \"task\""},
      {R"({"task": "describe", "lang": "de", "text": "x"})",
       "'describe' is not caption or translate"},
      {R"({"task": "caption", "lang": "German", "text": "x"})", "'German' is not a language code"},
      {R"({"task": "caption", "lang": "de", "text": "  "})", "\"text\" is empty"},
      {R"({"task": "caption", "lang": 7, "text": "x"})", "\"lang\" is not a string"},
      {R"({"task": "translate", "lang": "de", "text": "x", "src_text": "y"})", "no \"src_lang\""},
      {R"({"task": "translate", "lang": "de", "text": "x", "src_lang": "en"})", "no \"src_text\""},
      {R"({"task": "caption", "lang": "de", "text": "x")", "does not parse"},
      {R"(["caption"])", "not an object"},
  };
  for (const auto& [json, why] : cases) {
    EXPECT_THAT([&] { ParseSampleLabel(json, "corpus/a.tar:000042"); },
                ::testing::ThrowsMessage<ConfigError>(
                    ::testing::AllOf(HasSubstr("corpus/a.tar:000042: "), HasSubstr(why))))
        << json;
  }
}

}  // namespace
}  // namespace florenz::data
