// Brace ranges and lists as WebDataset names shards; bad patterns are ConfigErrors.
#include "workers/data/shards/shard_pattern.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/errors.h"

namespace florenz::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ShardPatternTest, ARangeKeepsItsZeroPadding) {
  EXPECT_THAT(ExpandShardPattern("c/train-{000008..000011}.tar"),
              ElementsAre("c/train-000008.tar", "c/train-000009.tar", "c/train-000010.tar",
                          "c/train-000011.tar"));
  EXPECT_THAT(ExpandShardPattern("s{8..10}.tar"), ElementsAre("s8.tar", "s9.tar", "s10.tar"));
  EXPECT_THAT(ExpandShardPattern("plain.tar"), ElementsAre("plain.tar"));
  EXPECT_EQ(ExpandShardPattern("a-{000000..000127}.tar").size(), 128u);
}

TEST(ShardPatternTest, ListsGroupsAndSeveralPatterns) {
  EXPECT_THAT(ExpandShardPattern("{cc,mt}-{0..1}.tar"),
              ElementsAre("cc-0.tar", "cc-1.tar", "mt-0.tar", "mt-1.tar"));
  EXPECT_THAT(ExpandShardPattern("a-{0..1}.tar::b.tar"),
              ElementsAre("a-0.tar", "a-1.tar", "b.tar"));
}

TEST(ShardPatternTest, BadPatternsNameThemselves) {
  for (const char* bad : {"a-{0..1.tar", "a-0..1}.tar", "a-{x..3}.tar", "a-{5..2}.tar",
                          "a-{{0..1}}.tar", "a::", "a-{0..9999999}.tar", "a-{}.tar"}) {
    EXPECT_THAT(
        [&] { ExpandShardPattern(bad); },
        ::testing::ThrowsMessage<ConfigError>(HasSubstr(std::string(bad) + ": shard pattern")))
        << bad;
  }
}

}  // namespace
}  // namespace florenz::data
