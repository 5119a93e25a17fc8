// Tests of ResultsDir: the OUT/ paths, the once-only experiment.yaml (same text is a no-op,
// different text is refused) and the listing of finished and unfinished runs.
#include "experiments/results_dir.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/errors.h"
#include "gtest/gtest.h"

namespace florenz {
namespace {

namespace fs = std::filesystem;

class ResultsDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    root_ = fs::path(::testing::TempDir()) /
            ("florenz_results_dir_test_" + std::to_string(::getpid()) + "_" + test);
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  static std::string Read(const fs::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  static void Touch(const fs::path& file) { std::ofstream(file) << "x"; }

  fs::path root_;
};

TEST_F(ResultsDirTest, PathsFollowTheLayout) {
  const ResultsDir dir("OUT");
  EXPECT_EQ(dir.ExperimentYaml(), fs::path("OUT/experiment.yaml"));
  EXPECT_EQ(dir.RunsDir(), fs::path("OUT/runs"));
  EXPECT_EQ(dir.CheckpointDir("abc"), fs::path("OUT/checkpoints/abc"));
  EXPECT_EQ(dir.RunFile("abc"), fs::path("OUT/runs/abc.h5"));
  EXPECT_EQ(dir.PartialFile("abc"), fs::path("OUT/runs/abc.h5.partial"));
  EXPECT_EQ(dir.ResultsH5(), fs::path("OUT/results.h5"));
  EXPECT_EQ(dir.ResultsCsv(), fs::path("OUT/results.csv"));
  EXPECT_EQ(dir.LockFile("abc"), fs::path("OUT/locks/abc.lock"));
  EXPECT_EQ(dir.CheckpointFile("abc", ""), fs::path("OUT/checkpoints/abc/checkpoint.pt"));
  EXPECT_EQ(dir.CheckpointFile("abc", "-tp1of2", true),
            fs::path("OUT/checkpoints/abc/checkpoint-tp1of2.previous.pt"));
  EXPECT_EQ(dir.PreviousAttemptFile("abc"),
            fs::path("OUT/checkpoints/abc/previous-attempt.h5.partial"));
  EXPECT_EQ(dir.ReportDir(), fs::path("OUT/report"));
  EXPECT_EQ(dir.SlurmDir(), fs::path("OUT/slurm"));
  EXPECT_EQ(TemporaryFile(dir.RunFile("abc")), fs::path("OUT/runs/abc.h5.tmp"));
}

TEST_F(ResultsDirTest, CreateMakesRunsAndCheckpointsAndIsIdempotent) {
  const ResultsDir dir(root_);
  dir.Create();
  dir.Create();
  EXPECT_TRUE(fs::is_directory(root_ / "runs"));
  EXPECT_TRUE(fs::is_directory(root_ / "checkpoints"));
}

TEST_F(ResultsDirTest, CreateErrorNamesTheDirectory) {
  fs::create_directories(root_);
  Touch(root_ / "runs");  // A file where the directory should be.
  try {
    ResultsDir(root_).Create();
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_PRED_FORMAT2(::testing::IsSubstring, (root_ / "runs").string(), e.what());
  }
}

TEST_F(ResultsDirTest, ExperimentYamlIsWrittenOnceAndSameTextIsANoOp) {
  const ResultsDir dir(root_);
  dir.Create();
  const std::string grid = "grid:\n  model_size: [s, m]\n";
  dir.WriteExperimentYaml(grid);
  EXPECT_EQ(Read(dir.ExperimentYaml()), grid);
  EXPECT_FALSE(fs::exists(root_ / "experiment.yaml.tmp"));

  const auto written = fs::last_write_time(dir.ExperimentYaml());
  fs::last_write_time(dir.ExperimentYaml(), written - std::chrono::hours(1));
  dir.WriteExperimentYaml(grid);  // No rewrite: the modification time stays put.
  EXPECT_EQ(fs::last_write_time(dir.ExperimentYaml()), written - std::chrono::hours(1));
}

TEST_F(ResultsDirTest, DifferentExperimentYamlIsRefusedAndKept) {
  const ResultsDir dir(root_);
  dir.Create();
  dir.WriteExperimentYaml("grid: a\n");
  try {
    dir.WriteExperimentYaml("grid: b\n");
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_PRED_FORMAT2(::testing::IsSubstring, dir.ExperimentYaml().string(), e.what());
    EXPECT_PRED_FORMAT2(::testing::IsSubstring, "different experiment", e.what());
  }
  EXPECT_EQ(Read(dir.ExperimentYaml()), "grid: a\n");
}

TEST_F(ResultsDirTest, ListRunsSortsByIdAndTellsFinishedFromUnfinished) {
  const ResultsDir dir(root_);
  EXPECT_TRUE(dir.ListRuns().empty());  // No runs/ yet.
  dir.Create();
  Touch(dir.RunFile("b"));
  Touch(dir.PartialFile("c"));
  Touch(dir.RunFile("a"));
  Touch(dir.PartialFile("a"));                // Left between the commit and its cleanup.
  Touch(dir.RunsDir() / "d.h5.partial.tmp");  // A snapshot being written.
  Touch(dir.RunsDir() / "e.h5.tmp");          // A commit being written.
  Touch(dir.RunsDir() / "notes.txt");

  const auto runs = dir.ListRuns();
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].run_id, "a");
  EXPECT_TRUE(runs[0].finished);
  EXPECT_EQ(runs[0].file, dir.RunFile("a"));
  EXPECT_EQ(runs[1].run_id, "b");
  EXPECT_TRUE(runs[1].finished);
  EXPECT_EQ(runs[2].run_id, "c");
  EXPECT_FALSE(runs[2].finished);
  EXPECT_EQ(runs[2].file, dir.PartialFile("c"));

  EXPECT_TRUE(dir.IsFinished("a"));
  EXPECT_FALSE(dir.IsFinished("c"));
  EXPECT_FALSE(dir.IsFinished("zzz"));
}

TEST_F(ResultsDirTest, WriteFileAtomicallyReplacesTheWholeFile) {
  fs::create_directories(root_);
  const fs::path file = root_ / "results.csv";
  WriteFileAtomically(file, "old\n");
  WriteFileAtomically(file, "new,content\n");
  EXPECT_EQ(Read(file), "new,content\n");
  EXPECT_FALSE(fs::exists(root_ / "results.csv.tmp"));
}

}  // namespace
}  // namespace florenz
