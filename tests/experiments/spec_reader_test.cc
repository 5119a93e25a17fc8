// Scalar parsing shared by grid files and the command line.
#include "experiments/spec_reader.h"

#include <gtest/gtest.h>

namespace florenz {
namespace {

TEST(ParseCountTest, AcceptsIntegersAndSuffixes) {
  int64_t v = 0;
  ASSERT_TRUE(ParseCount("80000", &v));
  EXPECT_EQ(v, 80000);
  ASSERT_TRUE(ParseCount("80k", &v));
  EXPECT_EQ(v, 80000);
  ASSERT_TRUE(ParseCount("2M", &v));
  EXPECT_EQ(v, 2000000);
  ASSERT_TRUE(ParseCount("1.5M", &v));
  EXPECT_EQ(v, 1500000);
  ASSERT_TRUE(ParseCount("3G", &v));
  EXPECT_EQ(v, 3000000000);
  ASSERT_TRUE(ParseCount("-4", &v));
  EXPECT_EQ(v, -4);
}

TEST(ParseCountTest, RejectsNonIntegersAndJunk) {
  int64_t v = 7;
  for (const char* bad :
       {"", "k", "1.5", "1.0005k", "abc", "12x", "1e5", "99999999999999999999", "1 000", "0x10"}) {
    EXPECT_FALSE(ParseCount(bad, &v)) << bad;
  }
  EXPECT_EQ(v, 7);
}

TEST(ParseDurationTest, AcceptsSecondsAndClockForms) {
  int64_t s = 0;
  ASSERT_TRUE(ParseDuration("3600", &s));
  EXPECT_EQ(s, 3600);
  ASSERT_TRUE(ParseDuration("1:00:00", &s));
  EXPECT_EQ(s, 3600);
  ASSERT_TRUE(ParseDuration("24:00:00", &s));
  EXPECT_EQ(s, 86400);
  ASSERT_TRUE(ParseDuration("05:30", &s));
  EXPECT_EQ(s, 330);
}

TEST(ParseDurationTest, RejectsMalformedDurations) {
  int64_t s = 0;
  for (const char* bad : {"", ":", "1::2", "1:2:3:4", "1h", "-5", "1.5"}) {
    EXPECT_FALSE(ParseDuration(bad, &s)) << bad;
  }
}

}  // namespace
}  // namespace florenz
