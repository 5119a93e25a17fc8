// `florenz collect` is safe to run concurrently and to kill: 20 real collect processes on one
// folder while runs keep finishing never show a reader an empty or mismatched results.h5 /
// results.csv pair and leave the pair of the last one; a collect killed with SIGKILL at a random
// point leaves a results.h5 that `florenz fit` reads, and the next collect a matching pair.
// Each round prints its wall time ("[round] ..."), the figures quoted for issue 27.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "experiments/collect.h"
#include "experiments/results_dir.h"
#include "experiments/run_file_writer.h"
#include "tests/e2e_util.h"

extern char** environ;

namespace florenz {
namespace {

namespace fs = std::filesystem;
using e2e::Florenz;
using e2e::Result;
using ::testing::HasSubstr;

constexpr int kConcurrent = 20;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

class CollectConcurrencyE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = e2e::FreshTestFolder("florenz_collect_concurrency_") / "out";
    ResultsDir(out_).Create();
    for (int k = 0; k < 9; ++k) AddRun(k);
  }
  void TearDown() override { fs::remove_all(out_.parent_path()); }

  // A completed run with the config attributes `florenz fit` needs (3 sizes × budgets).
  void AddRun(int k) {
    const double n = 1e6 * std::pow(4.0, k % 3), d = 5e4 * std::pow(2.0, k / 3);
    RunConfig config;
    config.run_id = "r" + std::to_string(k) + "-s0-0000000" + std::to_string(k % 10);
    config.spec_yaml = "experiment: {name: t}\n";
    config.numbers = {{"non_embedding_params", n},
                      {"params", 1.5 * n},
                      {"samples", d},
                      {"flops_per_sample", 3 * n}};
    RunFileLayout layout;
    layout.final_metrics = {"unseen_caption"};
    RunFileWriter writer = RunFileWriter::Create(ResultsDir(out_), config, layout);
    writer.Finish(RunStatus::kCompleted, "",
                  {{"unseen_caption", 9.0 * std::pow(n, -0.1) * std::pow(d, -0.04)}});
  }

  int CsvRows() const {
    std::ifstream in(out_ / "results.csv");
    int lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    return lines - 1;
  }

  pid_t SpawnCollect() const {
    const std::string bin = FLORENZ_BIN, out = out_.string();
    char* argv[] = {const_cast<char*>(bin.c_str()), const_cast<char*>("collect"),
                    const_cast<char*>(out.c_str()), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    EXPECT_EQ(posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv, environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
  }

  fs::path out_;
};

TEST_F(CollectConcurrencyE2eTest, TwentyConcurrentCollectsNeverShowABrokenPair) {
  ASSERT_EQ(Florenz("collect " + out_.string()).code, 0);
  int runs = 9;
  for (int round = 0; round < 5; ++round) {
    std::atomic<bool> done{false};
    std::atomic<int> checks{0}, broken{0};
    std::string first_problem;
    std::thread reader([&] {
      while (!done) {
        std::string problem;
        if (!ResultsPairConsistent(out_, &problem)) {
          if (broken++ == 0) first_problem = problem;
        }
        ++checks;
      }
    });
    const auto start = std::chrono::steady_clock::now();
    std::vector<pid_t> pids;
    for (int k = 0; k < kConcurrent; ++k) {
      pids.push_back(SpawnCollect());
      if (k % 7 == 3) AddRun(runs++);  // runs keep finishing: the collects' pairs differ
    }
    int failed = 0;
    for (pid_t pid : pids) {
      int status = 0;
      waitpid(pid, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
    }
    const double seconds = Seconds(start);
    done = true;
    reader.join();
    std::printf(
        "[round] %d: %d concurrent `florenz collect` on one folder in %.2f s; %d failed; "
        "%d pair reads by a concurrent reader, %d broken\n",
        round, kConcurrent, seconds, failed, checks.load(), broken.load());
    EXPECT_EQ(failed, 0);
    EXPECT_EQ(broken.load(), 0) << first_problem;
    std::string problem;
    EXPECT_TRUE(ResultsPairConsistent(out_, &problem)) << problem;
    for (const auto& entry : fs::directory_iterator(out_)) {
      EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos)
          << entry.path() << " left behind";
      EXPECT_EQ(entry.path().filename().string().find("unreadable"), std::string::npos);
    }
  }
  ASSERT_EQ(Florenz("collect " + out_.string()).code, 0);
  EXPECT_EQ(CsvRows(), runs);
  const Result fit = Florenz("fit " + out_.string() + " --metric unseen_caption");
  EXPECT_EQ(fit.code, 0) << fit.output;
  EXPECT_THAT(fit.output, HasSubstr(std::to_string(runs) + " of " + std::to_string(runs)));
}

TEST_F(CollectConcurrencyE2eTest, ACollectKilledAtARandomPointLeavesATableFitReads) {
  // How long one collect takes here sets the range of the kill times.
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(Florenz("collect " + out_.string()).code, 0);
  const double one = Seconds(start);
  std::mt19937 random(27);
  std::uniform_real_distribution<double> when(0.0, 1.3 * one);
  int consistent = 0, mismatched = 0, runs = 9;
  start = std::chrono::steady_clock::now();
  const int kills = 30;
  for (int k = 0; k < kills; ++k) {
    if (k % 4 == 0) AddRun(runs++);
    const pid_t pid = SpawnCollect();
    std::this_thread::sleep_for(std::chrono::duration<double>(when(random)));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);

    const Result fit = Florenz("fit " + out_.string() + " --metric unseen_caption");
    ASSERT_EQ(fit.code, 0) << "after kill " << k << ":\n" << fit.output;
    std::string problem;
    if (ResultsPairConsistent(out_, &problem)) {
      ++consistent;
    } else {
      ++mismatched;  // killed between the two renames: detected, and the next collect repairs
      EXPECT_THAT(problem, HasSubstr("does not match")) << problem;
      const Result repair = Florenz("collect " + out_.string());
      ASSERT_EQ(repair.code, 0) << repair.output;
      EXPECT_THAT(repair.output, HasSubstr("did not match"));
      EXPECT_TRUE(ResultsPairConsistent(out_, &problem)) << problem;
    }
  }
  std::printf(
      "[round] %d collects killed with SIGKILL at random points in [0, %.3f s] (one "
      "collect: %.3f s), each followed by `florenz fit`: %d left a matching pair, %d a "
      "detected mismatch (repaired by the next collect); %.1f s in all\n",
      kills, 1.3 * one, one, consistent, mismatched, Seconds(start));
  ASSERT_EQ(Florenz("collect " + out_.string()).code, 0);
  EXPECT_EQ(CsvRows(), runs);
  for (const auto& entry : fs::directory_iterator(out_)) {
    EXPECT_EQ(entry.path().filename().string().find("unreadable"), std::string::npos);
  }
}

// A table an earlier collect began but that cannot be read is set aside, not a dead end.
TEST_F(CollectConcurrencyE2eTest, AnUnreadableTableIsSetAsideAndReported) {
  std::ofstream(out_ / "results.h5");  // empty: what the shared temporary once left
  std::ofstream(out_ / "results.csv") << "run_id,status,reason\n";
  const Result r = Florenz("collect " + out_.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("results.h5: could not be read"));
  EXPECT_THAT(r.output, HasSubstr("set aside as " + (out_ / "results.h5.unreadable-1").string()));
  EXPECT_TRUE(fs::exists(out_ / "results.h5.unreadable-1"));
  EXPECT_TRUE(ResultsPairConsistent(out_));
  EXPECT_EQ(Florenz("fit " + out_.string() + " --metric unseen_caption").code, 0);
}

}  // namespace
}  // namespace florenz
