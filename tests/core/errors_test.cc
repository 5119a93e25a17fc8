// The error types of core/errors.h: locations, every message of a ConfigError kept in order.
#include "core/errors.h"

#include <gtest/gtest.h>

#include "core/exit_codes.h"

namespace florenz {
namespace {

TEST(ErrorsTest, SourceLocationPrintsFileLineColumnOrFileAlone) {
  EXPECT_EQ((SourceLocation{"grid.yaml", 3, 7}).ToString(), "grid.yaml:3:7");
  EXPECT_EQ((SourceLocation{"--holdout", 0, 0}).ToString(), "--holdout");
  EXPECT_EQ((SourceLocation{"results.csv", 4, 0}).ToString(), "results.csv:4");  // no column
}

TEST(ErrorsTest, ConfigErrorKeepsEveryMessage) {
  const ConfigError error({"a.yaml:1:1: first", "a.yaml:2:1: second"});
  ASSERT_EQ(error.messages().size(), 2u);
  EXPECT_STREQ(error.what(), "a.yaml:1:1: first\na.yaml:2:1: second");
  const ConfigError one(SourceLocation{"b.yaml", 4, 2}, "bad");
  EXPECT_EQ(one.messages().front(), "b.yaml:4:2: bad");
}

TEST(ErrorsTest, ExitCodesAreTheDocumentedOnes) {
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitFailure, 1);
  EXPECT_EQ(kExitBadInput, 2);
  EXPECT_EQ(kExitRunsFailed, 3);
  EXPECT_EQ(kExitRequeue, 4);
}

}  // namespace
}  // namespace florenz
