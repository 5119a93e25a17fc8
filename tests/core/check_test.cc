// FailedCallMessage: the one format of a failed library call, with the file relative to the
// source tree.
#include "core/check.h"

#include <gtest/gtest.h>

namespace florenz {
namespace {

TEST(CheckTest, AFailedCallNamesTheCallTheSourceFileBelowTheTreeAndTheLibrarysMessage) {
  EXPECT_EQ(FailedCallMessage("MPI_Send(...)", __FILE__, 12, "MPI_ERR_RANK: invalid rank"),
            "MPI_Send(...) failed at tests/core/check_test.cc:12: MPI_ERR_RANK: invalid rank");
}

// The build maps the source folder out of __FILE__ (-ffile-prefix-map), so that no message and
// no installed binary names the folder florenz was built in.
TEST(CheckTest, FileNamesAreRelativeToTheSourceTree) {
  EXPECT_STREQ(__FILE__, "tests/core/check_test.cc");
}

}  // namespace
}  // namespace florenz
