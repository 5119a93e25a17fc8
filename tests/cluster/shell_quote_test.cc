// ShellQuote makes any text one bash word that expands to itself; RejectReason names the
// first character a value may not hold.
#include "cluster/shell_quote.h"

#include <gtest/gtest.h>

#include "tests/cluster/cluster_test_util.h"

namespace florenz::cluster {
namespace {

TEST(ShellQuoteTest, BashReadsEveryQuotedValueBackUnchanged) {
  const auto dir = testing::TestFolder("florenz_quote");
  const std::string hostile[] = {"plain",
                                 "$(touch PWNED)",
                                 "`touch PWNED`",
                                 "a;touch PWNED",
                                 "it's",
                                 "'; touch PWNED; '",
                                 "\"$HOME\"",
                                 "back\\slash",
                                 "*",
                                 "!!",
                                 "../../etc",
                                 "a b\tc",
                                 "${IFS}",
                                 "--flag=x|y&z",
                                 ""};
  for (const std::string& value : hostile) {
    testing::WriteText(dir / "script.sh", "printf '%s' " + ShellQuote(value) + " > out\n");
    const auto [code, output] = testing::Shell("cd " + dir.string() + " && bash script.sh");
    ASSERT_EQ(code, 0) << value << ": " << output;
    EXPECT_EQ(testing::ReadText(dir / "out"), value);
    EXPECT_FALSE(std::filesystem::exists(dir / "PWNED")) << value;
  }
}

TEST(ShellQuoteTest, RejectReasonNamesTheFirstBadCharacter) {
  EXPECT_EQ(RejectReason("gpu_a100-x.1", kNameChars), "");
  EXPECT_EQ(RejectReason("", kNameChars), "is empty");
  EXPECT_EQ(RejectReason("a$b", kNameChars), "contains '$'");
  EXPECT_EQ(RejectReason("a b", kSbatchChars), "contains a space");
  EXPECT_EQ(RejectReason("a\nb", nullptr), "contains a newline");
  EXPECT_EQ(RejectReason("a\rb", nullptr), "contains the control character 0x0d");
  EXPECT_EQ(RejectReason("a'b`c", nullptr), "") << "free text is shell-quoted instead";
  EXPECT_EQ(RejectReason("/scratch/u/x_1", kSbatchChars), "");
  EXPECT_EQ(RejectReason("a100&ib", kSbatchChars), "contains '&'");
  EXPECT_EQ(RejectReason("a100&ib", kSbatchOptionChars), "");
  EXPECT_EQ(RejectReason("caf\xc3\xa9", kNameChars), "contains a non-ASCII character");
  EXPECT_EQ(DescribeChars("._-"), "letters, digits and . _ -");
}

}  // namespace
}  // namespace florenz::cluster
