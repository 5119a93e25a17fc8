// BuildInfo (core/build_info.h): florenz's version as CMake's project() says it, the libraries
// in their fixed order with LibTorch's and HDF5's versions as this build found them, and the
// text of --version and /config's built_with. A test binary carries no commit ("unknown"): only
// the florenz program does (its --version is checked by cli_test and the install tests).
#include "core/build_info.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace florenz {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(BuildInfoTest, NamesTheVersionAndEveryLibraryInOrder) {
  const BuildInfo info = GetBuildInfo();
  EXPECT_EQ(info.version, FLORENZ_PROJECT_VERSION);
  EXPECT_EQ(info.commit, "unknown");
  ASSERT_EQ(info.libraries.size(), 6u);
  const char* names[] = {"LibTorch", "CUDA", "NCCL", "HDF5", "Ceres", "MPI"};
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(info.libraries[i].first, names[i]);
  EXPECT_EQ(info.libraries[0].second, FLORENZ_TEST_TORCH_VERSION);
  EXPECT_EQ(info.libraries[3].second, FLORENZ_TEST_HDF5_VERSION);
  EXPECT_THAT(info.libraries[5].second, StartsWith("Open MPI 4."));
}

TEST(BuildInfoTest, TextsSkipOrNameWhatItWasNotBuiltWith) {
  BuildInfo info;
  info.version = "9.8.7";
  info.commit = "0123456789ab-dirty";
  info.libraries = {{"LibTorch", "2.11.0"}, {"CUDA", ""},    {"NCCL", ""},
                    {"HDF5", "1.14.3"},     {"Ceres", ""}, {"MPI", "Open MPI 5.0.3"}};
  EXPECT_EQ(BuiltWithText(info), "LibTorch 2.11.0, HDF5 1.14.3, Open MPI 5.0.3");
  const std::string text = VersionText(info);
  EXPECT_THAT(text, StartsWith("florenz 9.8.7 (commit 0123456789ab-dirty)\n"));
  EXPECT_THAT(text, HasSubstr("\n  CUDA: not built with it\n"));
  EXPECT_THAT(text, HasSubstr("\n  MPI: Open MPI 5.0.3"));
}

}  // namespace
}  // namespace florenz
