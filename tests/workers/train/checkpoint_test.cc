// SaveCheckpoint never writes through a link (issue 27): a symbolic link planted at a run's
// newest or previous checkpoint name, or at its checkpoint folder, is an IoError naming the path,
// and the file it points to keeps its bytes. Without links, two saves leave both generations.
#include "workers/train/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/errors.h"

namespace florenz::train {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr const char* kVictimBytes = "someone else's file\n";

class CheckpointLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("florenz_checkpoint_test_" + std::to_string(getpid()) +
                                         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "out");
    victim_ = root_ / "victim";
    std::ofstream(victim_) << kVictimBytes;
    results_ = std::make_unique<ResultsDir>(root_ / "out");
    results_->Create();
  }
  void TearDown() override { fs::remove_all(root_); }

  void Save() {
    torch::nn::Linear model(3, 2);
    torch::optim::AdamW optimizer(model->parameters());
    SaveCheckpoint(*results_, "r1", *model, optimizer, CheckpointPosition{5, 80});
  }
  void ExpectRefused(const fs::path& link) {
    try {
      Save();
      ADD_FAILURE() << "expected an IoError for " << link;
    } catch (const IoError& e) {
      EXPECT_THAT(e.what(), HasSubstr(link.string())) << e.what();
    }
    std::ifstream in(victim_);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), kVictimBytes);
  }

  fs::path root_, victim_;
  std::unique_ptr<ResultsDir> results_;
};

TEST_F(CheckpointLinkTest, TwoSavesKeepBothGenerations) {
  Save();
  Save();
  EXPECT_TRUE(fs::is_regular_file(results_->CheckpointFile("r1", "")));
  EXPECT_TRUE(fs::is_regular_file(results_->CheckpointFile("r1", "", true)));
}

TEST_F(CheckpointLinkTest, ALinkAtTheNewestName) {
  fs::create_directories(results_->CheckpointDir("r1"));
  fs::create_symlink(victim_, results_->CheckpointFile("r1", ""));
  ExpectRefused(results_->CheckpointFile("r1", ""));
}

TEST_F(CheckpointLinkTest, ALinkAtThePreviousName) {
  Save();
  fs::create_symlink(victim_, results_->CheckpointFile("r1", "", true));
  ExpectRefused(results_->CheckpointFile("r1", "", true));
}

TEST_F(CheckpointLinkTest, ALinkAtTheFolder) {
  fs::create_directories(root_ / "elsewhere");
  fs::create_directories(results_->CheckpointDir("r1").parent_path());
  fs::create_symlink(root_ / "elsewhere", results_->CheckpointDir("r1"));
  ExpectRefused(results_->CheckpointDir("r1"));
  EXPECT_TRUE(fs::is_empty(root_ / "elsewhere"));
}

}  // namespace
}  // namespace florenz::train
