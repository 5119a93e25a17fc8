// Nothing trained is lost, and a rerun tells the truth (issue 20), with real `florenz run`
// processes: two processes on one results folder, started together and staggered, train every
// run exactly once into files equal to one process's; a failed run is reported (exit 3) on
// every rerun until --retry-failed; an unreadable run file is reported (exit 1) until --retrain
// sets it aside and trains it again; an unreadable .partial (or previous attempt) never blocks
// its run; a folder that cannot be created exits 1; --only '' is an error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "experiments/results_dir.h"
#include "experiments/run_file_reader.h"
#include "tests/e2e_util.h"

namespace florenz {
namespace {

using e2e::Florenz;
using e2e::ReadBytes;
using e2e::Result;
using e2e::RunShell;
using e2e::WithoutTimes;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

// Four tiny runs of a few seconds each, checkpointed every 20 steps.
const std::string kGrid = e2e::TinyGridHead("safety") +
                          "model:\n"
                          "  sizes: [{name: a, d_model: 16, layers: 1, heads: 2, ffn: 32},\n"
                          "          {name: b, d_model: 24, layers: 1, heads: 2, ffn: 48}]\n"
                          "training:\n"
                          "  budgets: [1920, 3200]\n"
                          "  batch_size: 32\n"
                          "  log_interval: 10\n"
                          "evaluation: {interval: 0, samples_per_pair: 16}\n"
                          "execution: {checkpoint_interval: 640, threads: 1, retries: 0}\n";

class RunSafetyE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = e2e::FreshTestFolder("florenz_safety_e2e_");
    grid_ = root_ / "grid.yaml";
    std::ofstream(grid_) << kGrid;
  }

  std::string Run(const fs::path& out, const std::string& flags = "") const {
    return "run " + grid_.string() + " --out " + out.string() + (flags.empty() ? "" : " " + flags);
  }

  // Final metrics of every finished run of `out`, wall-clock ones left out.
  static std::map<std::string, std::map<std::string, double>> Finals(const fs::path& out) {
    std::map<std::string, std::map<std::string, double>> finals;
    for (const auto& entry : ResultsDir(out).ListRuns()) {
      if (!entry.finished) continue;
      finals[entry.run_id] = WithoutTimes(RunFileReader::Open(entry.file).final_metrics());
    }
    return finals;
  }

  // The run ids a `florenz run` output says it trained ("<id>: completed in").
  static std::multiset<std::string> Trained(const std::string& output) {
    std::multiset<std::string> ids;
    const std::regex completed(R"(\] ([A-Za-z0-9._-]+): completed in)");
    for (std::sregex_iterator it(output.begin(), output.end(), completed), end; it != end; ++it) {
      ids.insert((*it)[1]);
    }
    return ids;
  }

  // Trains the grid into `out` until run b-1920 is killed at step 50, after its checkpoint at
  // step 40; returns that run's id (its .partial and checkpoint stay).
  std::string KilledAtStep50(const fs::path& out) {
    const Result killed =
        RunShell("FLORENZ_FAULT='b-1920:kill@50' " + std::string(FLORENZ_BIN) + " " + Run(out));
    EXPECT_NE(killed.code, 0) << killed.output;
    std::string id;
    for (const auto& entry : ResultsDir(out).ListRuns()) {
      if (!entry.finished) id = entry.run_id;
    }
    return id;
  }

  // The reference: the grid trained by one process.
  const std::map<std::string, std::map<std::string, double>>& Reference() {
    if (reference_.empty()) {
      const Result r = Florenz(Run(root_ / "reference"));
      EXPECT_EQ(r.code, 0) << r.output;
      reference_ = Finals(root_ / "reference");
    }
    return reference_;
  }

  fs::path root_, grid_;
  std::map<std::string, std::map<std::string, double>> reference_;
};

TEST_F(RunSafetyE2eTest, TwoProcessesOnOneFolderTrainEveryRunExactlyOnce) {
  const auto& reference = Reference();
  ASSERT_EQ(reference.size(), 4u);
  for (const char* offset : {"0", "0.3", "1.5"}) {
    const fs::path out = root_ / (std::string("shared-") + offset);
    const std::string a = root_.string() + "/a.txt", b = root_.string() + "/b.txt";
    const Result both =
        RunShell("(" + std::string(FLORENZ_BIN) + " " + Run(out) + " > " + a +
                 " 2>&1; echo $? >> " + a + ".code) & sleep " + offset + "; " + FLORENZ_BIN + " " +
                 Run(out) + " > " + b + " 2>&1; echo $? >> " + b + ".code; wait");
    const std::string out_a = ReadBytes(a), out_b = ReadBytes(b);
    EXPECT_EQ(ReadBytes(a + ".code"), "0\n") << "offset " << offset << "\n" << out_a;
    EXPECT_EQ(ReadBytes(b + ".code"), "0\n") << "offset " << offset << "\n" << out_b;
    fs::remove(a + ".code");
    fs::remove(b + ".code");
    // Every run trained by exactly one of the two, and its file equal to one process's.
    std::multiset<std::string> trained = Trained(out_a);
    for (const auto& id : Trained(out_b)) trained.insert(id);
    for (const auto& [id, metrics] : reference) {
      EXPECT_EQ(trained.count(id), 1u) << "offset " << offset << " run " << id << "\nA:\n"
                                       << out_a << "\nB:\n"
                                       << out_b;
    }
    if (std::string(offset) != "1.5") {  // started close together: both get work
      EXPECT_GE(Trained(out_a).size(), 1u) << out_a;
      EXPECT_GE(Trained(out_b).size(), 1u) << out_b;
      EXPECT_THAT(out_a + out_b, HasSubstr("trained by another florenz process"));
    }
    EXPECT_EQ(Finals(out), reference) << "offset " << offset;
    // Nothing half-written left behind.
    for (const auto& entry : fs::recursive_directory_iterator(out)) {
      EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
    }
  }
}

TEST_F(RunSafetyE2eTest, AFailedRunIsReportedOnEveryRerunUntilRetried) {
  const auto& reference = Reference();
  const fs::path out2 = root_ / "out";
  const Result first =
      RunShell("FLORENZ_FAULT='a-1920:throw@3' " + std::string(FLORENZ_BIN) + " " + Run(out2));
  ASSERT_EQ(first.code, 3) << first.output;
  const Result again = Florenz(Run(out2));
  EXPECT_EQ(again.code, 3) << again.output;
  EXPECT_THAT(again.output, HasSubstr("failed earlier: injected fault"));
  EXPECT_THAT(again.output, HasSubstr("--retry-failed"));
  EXPECT_EQ(Trained(again.output).size(), 0u);

  const Result retried = Florenz(Run(out2, "--retry-failed"));
  EXPECT_EQ(retried.code, 0) << retried.output;
  EXPECT_EQ(Trained(retried.output).size(), 1u);
  bool aside = false;
  for (const auto& entry : fs::directory_iterator(out2 / "runs")) {
    aside |= entry.path().filename().string().find(".h5.failed-1") != std::string::npos;
  }
  EXPECT_TRUE(aside) << "the failed attempt's file is kept aside";
  EXPECT_EQ(Finals(out2), reference);
}

TEST_F(RunSafetyE2eTest, AnUnreadableRunFileIsReportedUntilRetrained) {
  const auto& reference = Reference();
  const fs::path out = root_ / "out";
  ASSERT_EQ(Florenz(Run(out)).code, 0);
  const auto entries = ResultsDir(out).ListRuns();
  ASSERT_EQ(entries.size(), 4u);
  const std::string id = entries[0].run_id;
  const std::string bytes = ReadBytes(entries[0].file);
  std::ofstream(entries[0].file, std::ios::binary | std::ios::trunc)
      << bytes.substr(0, bytes.size() / 3);  // cut short

  const Result reported = Florenz(Run(out));
  EXPECT_EQ(reported.code, 1) << reported.output;
  EXPECT_THAT(reported.output, HasSubstr(id + ": its file cannot be read"));
  EXPECT_THAT(reported.output, HasSubstr("--retrain " + id));

  const Result retrained = Florenz(Run(out, "--retrain " + id));
  EXPECT_EQ(retrained.code, 0) << retrained.output;
  EXPECT_EQ(Trained(retrained.output), std::multiset<std::string>{id});
  const fs::path aside = out / "runs" / (id + ".h5.retrained-1");
  ASSERT_TRUE(fs::exists(aside));
  EXPECT_EQ(ReadBytes(aside).size(), bytes.size() / 3) << "set aside, not deleted";
  EXPECT_EQ(Finals(out), reference);
}

TEST_F(RunSafetyE2eTest, AnUnreadablePartialRestartsItsRunInsteadOfBlockingTheGrid) {
  const auto& reference = Reference();
  const fs::path out = root_ / "out";
  const std::string id = KilledAtStep50(out);
  ASSERT_FALSE(id.empty());
  ResultsDir results(out);
  ASSERT_TRUE(fs::exists(results.CheckpointDir(id) / "checkpoint.pt"));
  std::ofstream(results.PartialFile(id), std::ios::binary | std::ios::trunc) << "not HDF5";

  const Result resumed = Florenz(Run(out));
  EXPECT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("cannot be read"));
  EXPECT_THAT(resumed.output, HasSubstr("the run restarts from step 0"));
  EXPECT_EQ(Finals(out), reference);
}

// The previous attempt's rows, kept under checkpoints/ while a resumed attempt starts, cut short:
// set aside like an unreadable .partial, and the run restarts.
TEST_F(RunSafetyE2eTest, AnUnreadablePreviousAttemptRestartsItsRun) {
  const auto& reference = Reference();
  const fs::path out = root_ / "out";
  const std::string id = KilledAtStep50(out);
  ASSERT_FALSE(id.empty());
  ResultsDir results(out);
  // A kill right after the resumed attempt moved the .partial aside, then a cut-short copy.
  const fs::path previous = results.CheckpointDir(id) / "previous-attempt.h5.partial";
  fs::rename(results.PartialFile(id), previous);
  fs::resize_file(previous, fs::file_size(previous) / 2);
  const Result resumed = Florenz(Run(out));
  EXPECT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("previous-attempt.h5.partial cannot be read"));
  EXPECT_THAT(resumed.output, HasSubstr("the run restarts from step 0"));
  EXPECT_EQ(Finals(out), reference);
}

// A results folder that cannot be created is an I/O failure (exit 1), not bad input.
TEST_F(RunSafetyE2eTest, AnUncreatableFolderIsAnIoFailure) {
  const fs::path file = root_ / "a_file";
  std::ofstream(file) << "x";
  const Result r = Florenz(Run(file / "out"));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr((file / "out").string()));
}

TEST_F(RunSafetyE2eTest, AnEmptyOnlyListIsAnError) {
  const Result r = Florenz(Run(root_ / "out", "--only ''"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--only '': names no run id"));
}

}  // namespace
}  // namespace florenz
