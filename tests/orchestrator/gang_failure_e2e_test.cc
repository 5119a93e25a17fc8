// A gang is one failure domain (parallel/gang_watch.h), end to end under `mpiexec -n 3 florenz
// run`: a data_parallel 2 gang (world ranks 1 and 2) where only rank 2 meets a fault, set in
// that rank's environment alone (the third app context of `mpiexec A : B`).
// - rank 2 throws: rank 1 leaves its collective at once (long before collective_timeout), the
//   run fails with rank 2's reason, is retried, and ends with the metrics of an undisturbed run;
// - rank 2's results store fails (a non-leader's storage error): the job stops with exit 1 and
//   the error, nothing is recorded failed, and the same command resumes to the same metrics;
// - rank 2 hangs outside any collective: rank 1 gives up after collective_timeout, the job
//   ends with the requeue code 4 (rank 2 can never be reached), and the same command resumes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include "experiments/run_file_reader.h"
#include "tests/e2e_util.h"

namespace florenz {
namespace {

using e2e::Result;
using e2e::WithoutTimes;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

// One size trained by a dp = 2 gang, checkpointed every 10 steps (320 samples).
std::string Grid(int collective_timeout) {
  return e2e::TinyGridHead("gang-failure") +
         "model:\n"
         "  sizes:\n"
         "    - {name: a, d_model: 16, layers: 1, heads: 2, ffn: 32, data_parallel: 2}\n"
         "training:\n"
         "  budgets: [640]\n"
         "  batch_size: 32\n"
         "  log_interval: 5\n"
         "evaluation: {interval: 0, samples_per_pair: 8}\n"
         "execution: {checkpoint_interval: 320, threads: 1, retries: 1, heartbeat_timeout: 600, "
         "collective_timeout: " +
         std::to_string(collective_timeout) + "}\n";
}

class GangFailureE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = e2e::FreshTestFolder("florenz_gang_failure_"); }

  fs::path WriteGrid(int collective_timeout) {
    const fs::path file = root_ / "grid.yaml";
    std::ofstream(file) << Grid(collective_timeout);
    return file;
  }
  // mpiexec -n 3 florenz run: ranks 0 and 1 plain, rank 2 with FLORENZ_FAULT=`fault` (if any).
  Result Run(const fs::path& grid, const std::string& out, const std::string& fault,
             double* seconds = nullptr) {
    const std::string florenz =
        std::string(FLORENZ_BIN) + " run " + grid.string() + " --out " + (root_ / out).string();
    std::string command = std::string("env ") + e2e::kMpiEnvironment + " " + MPIEXEC + " -n 2 " +
                          florenz + " : -n 1 env " +
                          (fault.empty() ? "" : "FLORENZ_FAULT=" + fault + " ") + florenz;
    const auto started = std::chrono::steady_clock::now();
    Result result = e2e::RunShell("timeout 300 " + command);
    if (seconds != nullptr) {
      *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
    return result;
  }
  // The one committed run file of `out`.
  fs::path RunFile(const std::string& out) {
    for (const auto& entry : fs::directory_iterator(root_ / out / "runs")) {
      if (entry.path().extension() == ".h5") return entry.path();
    }
    return {};
  }
  void ExpectSameRun(const std::string& out, const std::string& reference) {
    const RunFileReader expected = RunFileReader::Open(RunFile(reference));
    const RunFileReader actual = RunFileReader::Open(RunFile(out));
    EXPECT_EQ(actual.status(), RunStatus::kCompleted);
    EXPECT_EQ(WithoutTimes(actual.final_metrics()), WithoutTimes(expected.final_metrics()));
    EXPECT_EQ(actual.ReadTrain().loss, expected.ReadTrain().loss);
  }

  fs::path root_;
};

TEST_F(GangFailureE2eTest, OneRankThrowsItsGangLeavesAtOnceAndTheRetryMatches) {
  const fs::path grid = WriteGrid(/*collective_timeout=*/600);
  const Result reference = Run(grid, "reference", "");
  ASSERT_EQ(reference.code, 0) << reference.output;

  // Step 15: after the step-10 checkpoint, so the retry resumes (and the -once fault is quiet).
  double seconds = 0;
  const Result faulty = Run(grid, "faulty", "a-:throw-once@15", &seconds);
  ASSERT_EQ(faulty.code, 0) << faulty.output;
  EXPECT_THAT(faulty.output, HasSubstr("attempt 1 failed: injected fault"));
  EXPECT_THAT(faulty.output, Not(HasSubstr("gang member rank")));  // the failing rank's reason
  // Far inside collective_timeout (600 s): rank 1 learnt of the failure at once.
  EXPECT_LT(seconds, 120) << faulty.output;
  ExpectSameRun("faulty", "reference");
}

TEST_F(GangFailureE2eTest, ANonLeadersStorageErrorStopsTheJobAndTheSameCommandResumes) {
  const fs::path grid = WriteGrid(/*collective_timeout=*/600);
  const Result reference = Run(grid, "reference", "");
  ASSERT_EQ(reference.code, 0) << reference.output;

  double seconds = 0;
  const Result full = Run(grid, "store", "a-:ioerror@15", &seconds);
  EXPECT_EQ(full.code, 1) << full.output;
  EXPECT_THAT(full.output, HasSubstr("injected storage error"));
  EXPECT_THAT(full.output, HasSubstr("No space left on device"));
  EXPECT_LT(seconds, 120) << full.output;
  EXPECT_TRUE(RunFile("store").empty()) << "nothing is recorded, failed or otherwise";

  const Result resumed = Run(grid, "store", "");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  ExpectSameRun("store", "reference");
}

TEST_F(GangFailureE2eTest, ARankStuckOutsideMpiEndsTheJobForRequeueAndItResumes) {
  const fs::path grid = WriteGrid(/*collective_timeout=*/4);
  const Result reference = Run(grid, "reference", "");
  ASSERT_EQ(reference.code, 0) << reference.output;

  double seconds = 0;
  const Result stuck = Run(grid, "stuck", "a-:hang@15", &seconds);
  EXPECT_EQ(stuck.code, 4) << stuck.output;
  EXPECT_THAT(stuck.output, HasSubstr("did not leave the failed run"));
  EXPECT_LT(seconds, 120) << stuck.output;

  const Result resumed = Run(grid, "stuck", "");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  ExpectSameRun("stuck", "reference");
}

}  // namespace
}  // namespace florenz
