// `florenz run` end to end with real processes: a grid trains in one process; `kill -9` in
// the middle of a run and the same command again finishes it with exactly the numbers of an
// uninterrupted run; re-running a finished folder skips every run and rewrites nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "experiments/results_dir.h"
#include "experiments/run_file_reader.h"
#include "tests/e2e_util.h"

namespace florenz {
namespace {

using e2e::Florenz;
using e2e::ReadBytes;
using e2e::Result;
using e2e::WithoutTimes;

using ::testing::HasSubstr;
namespace fs = std::filesystem;

const std::string kGrid = e2e::TinyGridHead("e2e") +
                          "model:\n"
                          "  sizes: [{name: tiny, d_model: 16, layers: 1, heads: 2, ffn: 32}]\n"
                          "training:\n"
                          "  budgets: [8000]\n"
                          "  batch_size: 32\n"
                          "  log_interval: 10\n"
                          "evaluation: {interval: 4000, samples_per_pair: 16}\n"
                          "execution: {checkpoint_interval: 640, threads: 1}\n";

class RunE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = e2e::FreshTestFolder("florenz_run_e2e_");
    grid_ = root_ / "grid.yaml";
    std::ofstream(grid_) << kGrid;
  }
  fs::path root_, grid_;
};

TEST_F(RunE2eTest, KillNineThenTheSameCommandFinishesWithIdenticalNumbers) {
  const fs::path straight = root_ / "straight", killed = root_ / "killed";
  const Result reference = Florenz("run " + grid_.string() + " --out " + straight.string());
  ASSERT_EQ(reference.code, 0) << reference.output;

  const pid_t child = fork();
  if (child == 0) {
    const std::string out = killed.string();
    execl(FLORENZ_BIN, FLORENZ_BIN, "run", grid_.c_str(), "--out", out.c_str(), nullptr);
    _exit(127);
  }
  // Wait for the first checkpoint, then kill -9 the whole process mid-run.
  const fs::path checkpoints = killed / "checkpoints";
  bool saw_checkpoint = false;
  for (int i = 0; i < 6000 && !saw_checkpoint; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (fs::exists(checkpoints)) {
      for (const auto& entry : fs::recursive_directory_iterator(checkpoints)) {
        saw_checkpoint = saw_checkpoint || entry.path().filename() == "checkpoint.pt";
      }
    }
  }
  ASSERT_TRUE(saw_checkpoint);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed";
  ResultsDir killed_dir(killed);
  ASSERT_EQ(killed_dir.ListRuns().size(), 1u);
  EXPECT_FALSE(killed_dir.ListRuns()[0].finished);

  const Result resumed = Florenz("run " + grid_.string() + " --out " + killed.string());
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  const auto a_file = ResultsDir(straight).ListRuns().at(0).file;
  const auto b_file = killed_dir.ListRuns().at(0).file;
  const RunFileReader a = RunFileReader::Open(a_file), b = RunFileReader::Open(b_file);
  EXPECT_EQ(WithoutTimes(a.final_metrics()), WithoutTimes(b.final_metrics()));
  EXPECT_EQ(a.ReadTrain().loss, b.ReadTrain().loss);
  EXPECT_EQ(a.ReadTrain().grad_norm, b.ReadTrain().grad_norm);
  EXPECT_EQ(a.ReadEval("caption_es").metrics, b.ReadEval("caption_es").metrics);
}

TEST_F(RunE2eTest, RerunningAFinishedFolderSkipsAndRewritesNothing) {
  const fs::path out = root_ / "done";
  ASSERT_EQ(Florenz("run " + grid_.string() + " --out " + out.string()).code, 0);
  const auto file = ResultsDir(out).ListRuns().at(0).file;
  const std::string before = ReadBytes(file);
  const Result again = Florenz("run " + grid_.string() + " --out " + out.string());
  EXPECT_EQ(again.code, 0);
  EXPECT_THAT(again.output, HasSubstr("finished earlier, skipped"));
  EXPECT_EQ(ReadBytes(file), before);
}

TEST_F(RunE2eTest, OnlyAnUnknownRunIdIsBadInput) {
  const Result r =
      Florenz("run " + grid_.string() + " --out " + (root_ / "x").string() + " --only no-such-run");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("no such run"));
}

}  // namespace
}  // namespace florenz
