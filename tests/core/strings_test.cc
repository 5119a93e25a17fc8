// Split, SplitNonEmpty and HumanCount: the one comma splitter of the CLI and of cluster/.
#include "core/strings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace florenz {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(SplitTest, KeepsEmptyFields) {
  EXPECT_THAT(Split("a,,b", ','), ElementsAre("a", "", "b"));
  EXPECT_THAT(Split("a,b,", ','), ElementsAre("a", "b", ""));
  EXPECT_THAT(Split(",", ','), ElementsAre("", ""));
  EXPECT_THAT(Split("1|x|", '|'), ElementsAre("1", "x", ""));
  EXPECT_THAT(Split("", ','), IsEmpty());
  EXPECT_THAT(Split("one", ','), ElementsAre("one"));
}

TEST(SplitTest, NonEmptyDropsEmptyFields) {
  EXPECT_THAT(SplitNonEmpty("a,,b,", ','), ElementsAre("a", "b"));
  EXPECT_THAT(SplitNonEmpty(",,", ','), IsEmpty());
  EXPECT_THAT(SplitNonEmpty("N,D", ','), ElementsAre("N", "D"));
}

TEST(HumanCountTest, HasThreeSignificantDigits) {
  EXPECT_EQ(HumanCount(999), "999");
  EXPECT_EQ(HumanCount(87234), "87.2k");
  EXPECT_EQ(HumanCount(76512), "76.5k");
  EXPECT_EQ(HumanCount(4236000), "4.24M");
  EXPECT_EQ(HumanCount(1.2e9), "1.2G");
}

TEST(ExcerptTest, QuotesLongTextsInPartWithoutCuttingACharacter) {
  EXPECT_EQ(Excerpt("'<f8'"), "'<f8'");
  EXPECT_EQ(Excerpt(std::string(100, 'x'), 8), "xxxxxxxx… (100 bytes)");
  // "ü" is two bytes: a cut at byte 3 of "aaü…" backs off to before it.
  EXPECT_EQ(Excerpt("aa\xc3\xbc" + std::string(10, 'b'), 3), "aa… (14 bytes)");
}

}  // namespace
}  // namespace florenz
