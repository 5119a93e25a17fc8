// `florenz run` stopped by a signal, end to end with real processes: SIGUSR2 (Slurm's
// time-limit warning) or SIGTERM in the middle of a run makes it checkpoint and exit 4
// (kExitRequeue) without recording a failure; the same command again finishes the run with
// exactly the numbers of an uninterrupted one.
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

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// 250 steps of a tiny model (a few seconds), checkpoints only every 100 steps: a stop lands
// between two interval checkpoints, so resuming needs the one the signal wrote.
const std::string kGrid = e2e::TinyGridHead("stop") +
                          "model:\n"
                          "  sizes: [{name: tiny, d_model: 16, layers: 1, heads: 2, ffn: 32}]\n"
                          "training:\n"
                          "  budgets: [8000]\n"
                          "  batch_size: 32\n"
                          "  log_interval: 10\n"
                          "evaluation: {interval: 4000, samples_per_pair: 16}\n"
                          "execution: {checkpoint_interval: 3200, threads: 1}\n";

class RunStopE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = e2e::FreshTestFolder("florenz_run_stop_e2e_");
    grid_ = root_ / "grid.yaml";
    std::ofstream(grid_) << kGrid;
  }

  // Starts `florenz run` into `out`, sends `signal` at the first progress line, and returns
  // the exit status and the output.
  Result RunAndSignal(const fs::path& out, int signal) {
    const fs::path log = root_ / ("log-" + std::to_string(signal) + ".txt");
    const pid_t child = fork();
    if (child == 0) {
      const std::string out_text = out.string();
      if (freopen(log.c_str(), "w", stdout) == nullptr) _exit(126);
      dup2(fileno(stdout), STDERR_FILENO);
      execl(FLORENZ_BIN, FLORENZ_BIN, "run", grid_.c_str(), "--out", out_text.c_str(), nullptr);
      _exit(127);
    }
    // A progress line ("… 320/8k samples …", every 10 steps) shows the training loop is
    // running: the handlers were installed before the grid was even loaded.
    bool running = false;
    for (int i = 0; i < 12000 && !running; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::ifstream in(log);
      std::stringstream text;
      text << in.rdbuf();
      running = text.str().find("/8k samples") != std::string::npos;
    }
    kill(child, signal);
    int status = 0;
    waitpid(child, &status, 0);
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    Result result;
    result.output = text.str();
    result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    EXPECT_TRUE(running) << "no progress line seen\n" << result.output;
    return result;
  }

  fs::path root_, grid_;
};

TEST_F(RunStopE2eTest, Sigusr2CheckpointsExitsFourAndTheSameCommandFinishesIdentically) {
  const fs::path straight = root_ / "straight", stopped = root_ / "stopped";
  const Result reference = Florenz("run " + grid_.string() + " --out " + straight.string());
  ASSERT_EQ(reference.code, 0) << reference.output;

  const Result interrupted = RunAndSignal(stopped, SIGUSR2);
  ASSERT_EQ(interrupted.code, 4) << interrupted.output;
  EXPECT_THAT(interrupted.output, HasSubstr("interrupted"));
  EXPECT_THAT(interrupted.output, HasSubstr("stopped by SIGUSR2 after step"));
  ResultsDir stopped_dir(stopped);
  ASSERT_EQ(stopped_dir.ListRuns().size(), 1u);
  EXPECT_FALSE(stopped_dir.ListRuns()[0].finished) << "an interrupted run is not committed";
  const std::string run_id = stopped_dir.ListRuns()[0].run_id;
  EXPECT_TRUE(fs::exists(stopped_dir.CheckpointDir(run_id) / "checkpoint.pt"));

  const Result resumed = Florenz("run " + grid_.string() + " --out " + stopped.string());
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("completed"));
  const RunFileReader a = RunFileReader::Open(ResultsDir(straight).ListRuns().at(0).file);
  const RunFileReader b = RunFileReader::Open(stopped_dir.ListRuns().at(0).file);
  EXPECT_EQ(WithoutTimes(a.final_metrics()), WithoutTimes(b.final_metrics()));
  EXPECT_FALSE(WithoutTimes(a.final_metrics()).empty());
  EXPECT_EQ(a.ReadTrain().step, b.ReadTrain().step);
  EXPECT_EQ(a.ReadTrain().loss, b.ReadTrain().loss);
  EXPECT_EQ(a.ReadTrain().grad_norm, b.ReadTrain().grad_norm);
  EXPECT_EQ(a.ReadEval("caption_es").metrics, b.ReadEval("caption_es").metrics);
}

TEST_F(RunStopE2eTest, SigtermAlsoStopsForRequeueAndIsNotAFailure) {
  const fs::path out = root_ / "out";
  const Result interrupted = RunAndSignal(out, SIGTERM);
  ASSERT_EQ(interrupted.code, 4) << interrupted.output;
  EXPECT_THAT(interrupted.output, HasSubstr("stopped by SIGTERM"));
  EXPECT_THAT(interrupted.output, ::testing::Not(HasSubstr("failed")));
  const Result resumed = Florenz("run " + grid_.string() + " --out " + out.string());
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  ASSERT_EQ(ResultsDir(out).ListRuns().size(), 1u);
  EXPECT_TRUE(ResultsDir(out).ListRuns()[0].finished);
}

// Ctrl-C is a stop like SIGTERM (checkpoint, exit 4), not an abort; `florenz status` then reads
// the stopped run as interrupted at once (its lock is free), not as running with an ETA.
TEST_F(RunStopE2eTest, SigintCheckpointsLikeSigtermAndStatusSaysInterrupted) {
  const fs::path out = root_ / "out";
  const Result interrupted = RunAndSignal(out, SIGINT);
  ASSERT_EQ(interrupted.code, 4) << interrupted.output;
  EXPECT_THAT(interrupted.output, HasSubstr("stopped by SIGINT"));
  ASSERT_EQ(ResultsDir(out).ListRuns().size(), 1u);
  const std::string run_id = ResultsDir(out).ListRuns()[0].run_id;
  EXPECT_TRUE(fs::exists(ResultsDir(out).CheckpointDir(run_id) / "checkpoint.pt"));
  const Result status = Florenz("status " + out.string());
  EXPECT_EQ(status.code, 0) << status.output;
  EXPECT_THAT(status.output, HasSubstr("0 running, 1 interrupted"));
  const Result resumed = Florenz("run " + grid_.string() + " --out " + out.string());
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_TRUE(ResultsDir(out).ListRuns()[0].finished);
}

}  // namespace
}  // namespace florenz
