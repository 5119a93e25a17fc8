// Budget branching end to end with the real binary: a grid trained with training.branching gives
// every run exactly the numbers (loss curve, evaluations, final metrics) of the same grid trained
// without it — in one process and under mpiexec with two workers; kill -9 of the trunk or of a
// branch and the same command still give those numbers; a trunk that fails before a branch point
// leaves that branch failed and never started; a retried trunk and SIGUSR2 (Slurm's warning)
// keep the numbers too.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "experiments/results_dir.h"
#include "experiments/run_file_reader.h"
#include "tests/e2e_util.h"

namespace florenz {
namespace {

using e2e::Florenz;
using e2e::Result;
using e2e::RunShell;
using e2e::WithoutTimes;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::string Grid(bool branching) {
  return e2e::TinyGridHead("branching") +
         "model:\n"
         "  sizes: [{name: tiny, d_model: 16, layers: 1, heads: 2, ffn: 32}]\n"
         "training:\n"
         "  budgets: [640, 1280, 2560]\n"
         "  batch_size: 32\n"
         "  log_interval: 4\n"
         "  branching: " +
         std::string(branching ? "true" : "false") +
         "\n"
         "  schedule: {kind: wsd, warmup_samples: 64, decay_fraction: 0.25}\n"
         "evaluation: {interval: 320, samples_per_pair: 8}\n"
         "execution: {checkpoint_interval: 640, threads: 1}\n";
}

class BranchingE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = e2e::FreshTestFolder("florenz_branching_e2e_");
    std::ofstream(root_ / "branched.yaml") << Grid(true);
    std::ofstream(root_ / "alone.yaml") << Grid(false);
  }
  std::string Run(const std::string& grid, const std::string& out, const std::string& env = "",
                  int mpi_ranks = 0) {
    std::string command = env + " ";
    if (mpi_ranks > 0)
      command += "env " + std::string(e2e::kMpiEnvironment) + " " + MPIEXEC + " -n " +
                 std::to_string(mpi_ranks) + " ";
    return command + FLORENZ_BIN + " run " + (root_ / grid).string() + " --out " +
           (root_ / out).string();
  }
  // Every run of `a` has, bit for bit, the curve, evaluations and final metrics of its run in `b`.
  void ExpectSameRuns(const std::string& a, const std::string& b) {
    const auto runs_a = ResultsDir(root_ / a).ListRuns(), runs_b = ResultsDir(root_ / b).ListRuns();
    ASSERT_EQ(runs_a.size(), 3u);
    ASSERT_EQ(runs_b.size(), 3u);
    for (size_t i = 0; i < runs_a.size(); ++i) {
      ASSERT_TRUE(runs_a[i].finished) << runs_a[i].file;
      const RunFileReader x = RunFileReader::Open(runs_a[i].file);
      const RunFileReader y = RunFileReader::Open(runs_b[i].file);
      EXPECT_EQ(x.run_id(), y.run_id());
      EXPECT_EQ(x.ReadTrain().loss, y.ReadTrain().loss) << x.run_id();
      EXPECT_EQ(x.ReadTrain().step, y.ReadTrain().step) << x.run_id();
      EXPECT_EQ(x.ReadTrain().lr, y.ReadTrain().lr) << x.run_id();
      EXPECT_EQ(x.ReadEval("caption_es").metrics, y.ReadEval("caption_es").metrics) << x.run_id();
      EXPECT_EQ(WithoutTimes(x.final_metrics()), WithoutTimes(y.final_metrics())) << x.run_id();
    }
  }
  fs::path root_;
};

TEST_F(BranchingE2eTest, BranchesEqualTheRunsTrainedAloneBitForBit) {
  const Result validate = Florenz("validate " + (root_ / "branched.yaml").string());
  ASSERT_EQ(validate.code, 0) << validate.output;
  EXPECT_THAT(validate.output, HasSubstr("branching: 2 of 3 runs branch off a trunk"));
  const Result alone = RunShell(Run("alone.yaml", "alone"));
  ASSERT_EQ(alone.code, 0) << alone.output;
  const Result branched = RunShell(Run("branched.yaml", "branched"));
  ASSERT_EQ(branched.code, 0) << branched.output;
  ExpectSameRuns("branched", "alone");
  // What each run trained itself: the trunk all of it, a branch its decay (25 % of its steps).
  std::map<int64_t, double> trained;
  for (const auto& run : ResultsDir(root_ / "branched").ListRuns()) {
    const RunFileReader file = RunFileReader::Open(run.file);
    trained[static_cast<int64_t>(file.numbers().at("samples"))] =
        file.numbers().at("trained_samples");
  }
  EXPECT_EQ(trained, (std::map<int64_t, double>{{640, 160}, {1280, 320}, {2560, 2560}}));
  EXPECT_FALSE(fs::exists(root_ / "branched" / "checkpoints") &&
               !fs::is_empty(root_ / "branched" / "checkpoints"));
}

TEST_F(BranchingE2eTest, UnderMpiexecBranchesStartWhileTheTrunkTrains) {
  ASSERT_EQ(RunShell(Run("alone.yaml", "alone")).code, 0);
  const Result branched = RunShell(Run("branched.yaml", "branched", "", 3));
  ASSERT_EQ(branched.code, 0) << branched.output;
  ExpectSameRuns("branched", "alone");
}

TEST_F(BranchingE2eTest, KillNineOfTheTrunkOrOfABranchThenTheSameCommandGivesTheSameNumbers) {
  ASSERT_EQ(RunShell(Run("alone.yaml", "alone")).code, 0);
  // The trunk (2560 samples, 80 steps) dies at step 50: past both branch points (15 and 30).
  const Result trunk_killed = RunShell(Run("branched.yaml", "a", "FLORENZ_FAULT='-2560-:kill@50'"));
  ASSERT_NE(trunk_killed.code, 0) << trunk_killed.output;
  const Result resumed = RunShell(Run("branched.yaml", "a"));
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  ExpectSameRuns("a", "alone");
  // The 1280 branch (from step 30 of 40) dies at step 35, before a checkpoint of its own.
  const Result branch_killed =
      RunShell(Run("branched.yaml", "b", "FLORENZ_FAULT='-1280-:kill@35'"));
  ASSERT_NE(branch_killed.code, 0) << branch_killed.output;
  const Result again = RunShell(Run("branched.yaml", "b"));
  ASSERT_EQ(again.code, 0) << again.output;
  ExpectSameRuns("b", "alone");
}

TEST_F(BranchingE2eTest, ARetriedTrunkAndSigusr2StillGiveTheSameNumbers) {
  ASSERT_EQ(RunShell(Run("alone.yaml", "alone")).code, 0);
  // The trunk throws once at step 50 and is retried from its checkpoint at step 40: past both
  // branch points, whose checkpoints it then leaves as they are.
  const Result retried =
      RunShell(Run("branched.yaml", "retried", "FLORENZ_FAULT='-2560-:throw-once@50'"));
  ASSERT_EQ(retried.code, 0) << retried.output;
  EXPECT_THAT(retried.output, HasSubstr("attempt 1 failed"));
  ExpectSameRuns("retried", "alone");

  // SIGUSR2 once the first branch's checkpoint exists: checkpoint, exit 4, the same command
  // finishes every run with the same numbers.
  const pid_t child = fork();
  if (child == 0) {
    const std::string grid = (root_ / "branched.yaml").string(), out = (root_ / "stopped").string();
    if (freopen((root_ / "stopped.log").c_str(), "w", stdout) == nullptr) _exit(126);
    execl(FLORENZ_BIN, FLORENZ_BIN, "run", grid.c_str(), "--out", out.c_str(), nullptr);
    _exit(127);
  }
  bool branch_ready = false;
  for (int i = 0; i < 12000 && !branch_ready; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (fs::exists(root_ / "stopped" / "checkpoints")) {
      for (const auto& entry :
           fs::recursive_directory_iterator(root_ / "stopped" / "checkpoints")) {
        branch_ready |=
            entry.path().filename() == "checkpoint.pt" &&
            entry.path().parent_path().filename().string().find("-640-") != std::string::npos;
      }
    }
  }
  ASSERT_TRUE(branch_ready);
  kill(child, SIGUSR2);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 4)
      << e2e::ReadBytes(root_ / "stopped.log");
  const Result resumed = RunShell(Run("branched.yaml", "stopped"));
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  ExpectSameRuns("stopped", "alone");
}

TEST_F(BranchingE2eTest, ATrunkThatFailsBeforeABranchPointLeavesThatBranchNeverStarted) {
  // The trunk throws at step 20 on every attempt: past the 640 branch (15), before 1280's (30).
  const Result r = RunShell(Run("branched.yaml", "out", "FLORENZ_FAULT='-2560-:throw@20'"));
  EXPECT_EQ(r.code, 3) << r.output;
  std::map<int64_t, std::string> status;
  for (const auto& run : ResultsDir(root_ / "out").ListRuns()) {
    const RunFileReader file = RunFileReader::Open(run.file);
    status[static_cast<int64_t>(file.numbers().at("samples"))] =
        file.status() == RunStatus::kCompleted ? "completed" : file.reason();
  }
  EXPECT_EQ(status.at(640), "completed");
  EXPECT_THAT(status.at(1280), HasSubstr("failed before the branch point"));
  EXPECT_THAT(status.at(2560), HasSubstr("step 20"));
  // Never started: its file has no training row.
  for (const auto& run : ResultsDir(root_ / "out").ListRuns()) {
    const RunFileReader file = RunFileReader::Open(run.file);
    if (file.numbers().at("samples") == 1280) EXPECT_TRUE(file.ReadTrain().step.empty());
  }
}

}  // namespace
}  // namespace florenz
