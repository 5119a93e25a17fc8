// A full disk under the results folder (a real tmpfs, sized to fail at a checkpoint, at a flush
// of the run file, or at the final commit): `florenz run` stops cleanly with exit 1 and a message
// naming the path and "No space left on device" — no crash, no temporary file left, the run not
// recorded as failed, its last checkpoint whole — and once there is space again the same command
// finishes the run with the final metrics of an undisturbed one. The same for gangs under
// `mpiexec -n 3` (a dp = 2 gang, whose dp rank 0 writes the checkpoint, and a tp = 2 gang, whose
// two ranks each write a shard, so the one that fails may be the leader or not): the gang stops
// together (parallel/gang_watch.h) instead of a rank spinning in a barrier. Needs root (mount);
// skips without it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "experiments/results_dir.h"
#include "experiments/run_file_reader.h"
#include "tests/e2e_util.h"

namespace florenz {
namespace {

using e2e::Florenz;
using e2e::Result;
using e2e::WithoutTimes;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

// `metrics` and `evaluation_interval` shape the run file: with a final evaluation only, the
// finished file (its generation metrics' datasets) is much larger than the last snapshot.
std::string Grid(int checkpoint_interval, const std::string& metrics = "[cross_entropy]",
                 int evaluation_interval = 1600, const std::string& parallel = "") {
  return e2e::TinyGridHead("full-disk") +
         "model:\n"
         "  sizes: [{name: tiny, d_model: 16, layers: 1, heads: 2, ffn: 32" +
         parallel +
         "}]\n"
         "training:\n"
         "  budgets: [6400]\n"
         "  batch_size: 32\n"
         "  log_interval: 5\n"
         "evaluation: {interval: " +
         std::to_string(evaluation_interval) + ", samples_per_pair: 16, metrics: " + metrics +
         "}\n"
         "execution: {checkpoint_interval: " +
         std::to_string(checkpoint_interval) + ", threads: 1}\n";
}

class FullDiskE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = e2e::FreshTestFolder("florenz_full_disk_");
    disk_ = root_ / "disk";
    fs::create_directories(disk_);
  }
  void TearDown() override {
    if (mounted_) umount(disk_.c_str());
    fs::remove_all(root_);
  }

  // A tmpfs of `kilobytes` at disk_ (remounted at that size when already mounted).
  bool Mount(int kilobytes) {
    const std::string options = "size=" + std::to_string(kilobytes) + "k";
    const unsigned long flags = mounted_ ? MS_REMOUNT : 0;
    if (mount("tmpfs", disk_.c_str(), "tmpfs", flags, options.c_str()) != 0) return false;
    mounted_ = true;
    return true;
  }

  // Trains the grid into a full tmpfs of `kilobytes`, expects the clean stop naming
  // `expected`, then frees space and finishes; compares with an undisturbed run.
  // `ranks` > 0: under `mpiexec -n ranks` (the reference run too).
  void FailThenFinish(int kilobytes, const std::string& expected, const std::string& grid_text,
                      int ranks = 0) {
    if (geteuid() != 0 || !Mount(kilobytes)) GTEST_SKIP() << "needs root to mount a tmpfs";
    const fs::path grid = root_ / "grid.yaml";
    std::ofstream(grid) << grid_text;
    const fs::path out = disk_ / "out";
    const std::string command = "run " + grid.string() + " --out " + out.string();
    auto Florenz = [&](const std::string& arguments) {
      if (ranks == 0) return e2e::Florenz(arguments);
      return e2e::RunShell("timeout 300 env " + std::string(e2e::kMpiEnvironment) + " " + MPIEXEC +
                           " -n " + std::to_string(ranks) + " " + FLORENZ_BIN + " " + arguments);
    };

    const Result full = Florenz(command);
    EXPECT_EQ(full.code, 1) << full.output;  // not 134 (abort) or 139 (SIGSEGV)
    EXPECT_THAT(full.output, HasSubstr(expected));
    EXPECT_THAT(full.output, HasSubstr("No space left on device"));
    EXPECT_THAT(full.output, HasSubstr("not a failure of the run"));
    ResultsDir results(out);
    ASSERT_EQ(results.ListRuns().size(), 1u);
    EXPECT_FALSE(results.ListRuns()[0].finished) << "a full disk is no verdict on the run";
    for (const auto& entry : fs::recursive_directory_iterator(out)) {
      EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
    }

    ASSERT_TRUE(Mount(64 * 1024));  // space again
    const Result resumed = Florenz(command);
    ASSERT_EQ(resumed.code, 0) << resumed.output;
    const Result straight = Florenz("run " + grid.string() + " --out " + (root_ / "ref").string());
    ASSERT_EQ(straight.code, 0) << straight.output;
    const RunFileReader a = RunFileReader::Open(ResultsDir(root_ / "ref").ListRuns().at(0).file);
    const RunFileReader b = RunFileReader::Open(results.ListRuns().at(0).file);
    EXPECT_EQ(b.status(), RunStatus::kCompleted);
    EXPECT_EQ(WithoutTimes(a.final_metrics()), WithoutTimes(b.final_metrics()));
    EXPECT_EQ(a.ReadTrain().loss, b.ReadTrain().loss);
  }

  fs::path root_, disk_;
  bool mounted_ = false;
};

// The run file fits, the first checkpoint (≈ 260 kB) does not.
TEST_F(FullDiskE2eTest, ACheckpointOnAFullDiskStopsCleanlyAndResumes) {
  FailThenFinish(/*kilobytes=*/400, "checkpoint.pt.tmp: cannot write", Grid(640));
}

// A dp = 2 gang: its dp rank 0 (the leader) cannot write the checkpoint; the other rank, waiting
// in the barrier after it, stops too.
TEST_F(FullDiskE2eTest, AGangsCheckpointOnAFullDiskStopsTheGangAndResumes) {
  FailThenFinish(/*kilobytes=*/400, "checkpoint",
                 Grid(640, "[cross_entropy]", 1600, ", data_parallel: 2"),
                 /*ranks=*/3);
}

// A tp = 2 gang: both ranks write a shard (about half the checkpoint each) and the disk holds
// one: whichever rank fails, leader or not, the gang stops and the job exits 1.
TEST_F(FullDiskE2eTest, ATensorParallelShardOnAFullDiskStopsTheGangAndResumes) {
  FailThenFinish(/*kilobytes=*/260, "checkpoint",
                 Grid(640, "[cross_entropy]", 1600, ", tensor_parallel: 2"),
                 /*ranks=*/3);
}

// No checkpoints; a flush of the growing run file is what fills the disk.
TEST_F(FullDiskE2eTest, AFlushOnAFullDiskStopsCleanlyAndResumes) {
  FailThenFinish(/*kilobytes=*/60, ".h5.partial.tmp", Grid(0));
}

// The final commit: every flush fits, the finished file (with its final evaluation, much larger
// than the last snapshot) does not. The disk is sized from two runs on an ordinary folder: the
// last snapshot P (a run killed at its last step) and the finished file F. Each flush needs
// about 2·P, the commit P + F; the tmpfs gets the middle, 2·P + (F − P) / 2.
TEST_F(FullDiskE2eTest, TheFinalCommitOnAFullDiskStopsCleanlyAndResumes) {
  const std::string text =
      Grid(0, "[cross_entropy, bleu, language_accuracy, exact_match]", /*evaluation_interval=*/0);
  const fs::path grid = root_ / "sizing.yaml";
  std::ofstream(grid) << text;
  const fs::path killed = root_ / "killed", clean = root_ / "clean";
  e2e::RunShell("FLORENZ_FAULT='tiny-6400:kill@200' " + std::string(FLORENZ_BIN) + " run " +
                grid.string() + " --out " + killed.string());
  ASSERT_EQ(Florenz("run " + grid.string() + " --out " + clean.string()).code, 0);
  ASSERT_EQ(ResultsDir(killed).ListRuns().size(), 1u);
  const double p = static_cast<double>(fs::file_size(ResultsDir(killed).ListRuns()[0].file));
  const double f = static_cast<double>(fs::file_size(ResultsDir(clean).ListRuns()[0].file));
  ASSERT_GT(f - p, 64 * 1024) << "the finished file must outgrow the snapshot by pages";
  const int kilobytes = static_cast<int>((2 * p + (f - p) / 2) / 1024);
  FailThenFinish(kilobytes, ".h5.tmp", text);  // the finished file, not a .partial
}

}  // namespace
}  // namespace florenz
