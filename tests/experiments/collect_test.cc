// Tests of CollectResults: one row per finished run in results.h5 and results.csv, union of
// columns, CSV quoting, unfinished runs counted but not written, corrupt files reported and
// skipped without affecting the others.
#include "experiments/collect.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/errors.h"
#include "experiments/h5_handle.h"
#include "experiments/results_dir.h"
#include "experiments/run_file_reader.h"
#include "experiments/run_file_writer.h"
#include "gtest/gtest.h"

namespace florenz {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

class CollectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    root_ = fs::path(::testing::TempDir()) /
            ("florenz_collect_test_" + std::to_string(::getpid()) + "_" + test);
    fs::remove_all(root_);
    ResultsDir(root_).Create();
  }
  void TearDown() override { fs::remove_all(root_); }

  // Writes a run with the given config attributes and final metrics; finishes it unless
  // `status` is kRunning (then it stays a .partial).
  void WriteRun(const std::string& id, std::vector<std::pair<std::string, double>> numbers,
                std::vector<std::pair<std::string, std::string>> strings,
                std::map<std::string, double> finals, RunStatus status,
                const std::string& reason = "") {
    RunConfig config;
    config.run_id = id;
    config.spec_yaml = "id: " + id + "\n";
    config.numbers = std::move(numbers);
    config.strings = std::move(strings);
    RunFileLayout layout;
    for (const auto& [name, value] : finals) layout.final_metrics.push_back(name);
    auto writer = RunFileWriter::Create(ResultsDir(root_), config, layout);
    writer.AppendTrain({1, 32, 2.5, 1e-3, 1.0, 0.5});
    writer.Flush();
    if (status != RunStatus::kRunning) writer.Finish(status, reason, finals);
  }

  static std::string Read(const fs::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path root_;
};

TEST_F(CollectTest, WritesOneRowPerFinishedRunWithTheUnionOfColumns) {
  WriteRun("r1", {{"params", 1e6}}, {{"lang", "es"}}, {{"loss", 2.5}}, RunStatus::kCompleted);
  WriteRun("r2", {{"params", 2e6}, {"flops", 1.5e12}}, {{"lang", "en, fr"}},
           {{"loss", 2.25}, {"cider", 0.5}}, RunStatus::kCompleted);
  WriteRun("r3", {{"params", 4e6}}, {}, {{"loss", 0.0}}, RunStatus::kFailed, "NaN loss \"x\"");
  WriteRun("r4", {{"params", 8e6}}, {}, {{"loss", 1.0}}, RunStatus::kRunning);

  const CollectSummary summary = CollectResults(root_);
  EXPECT_EQ(summary.finished, 3);
  EXPECT_EQ(summary.failed, 1);
  EXPECT_EQ(summary.unfinished, 1);
  EXPECT_EQ(summary.unfinished_runs, Strings{"r4"});
  EXPECT_TRUE(summary.problems.empty());
  EXPECT_EQ(summary.results_h5, root_ / "results.h5");
  EXPECT_EQ(summary.results_csv, root_ / "results.csv");
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "3 runs (2 completed, 1 failed)",
                      summary.BriefReport());

  EXPECT_EQ(Read(summary.results_csv),
            "run_id,status,reason,config/flops,config/lang,config/params,final/cider,final/loss\n"
            "r1,completed,,,es,1e+06,,2.5\n"
            "r2,completed,,1.5e+12,\"en, fr\",2e+06,0.5,2.25\n"
            "r3,failed,\"NaN loss \"\"x\"\"\",,,4e+06,,0\n");
  EXPECT_FALSE(fs::exists(root_ / "results.csv.tmp"));
  EXPECT_FALSE(fs::exists(root_ / "results.h5.tmp"));

  SilenceHdf5ErrorPrinting();
  H5Handle h5 = OpenFileReadOnly(summary.results_h5);
  EXPECT_EQ(ReadInt64Attribute(h5.get(), "florenz_results_format"), 1);
  EXPECT_EQ(ReadInt64Attribute(h5.get(), "n_runs"), 3);
  EXPECT_EQ(ReadStringColumn(h5.get(), "run_id"), (Strings{"r1", "r2", "r3"}));
  EXPECT_EQ(ReadStringColumn(h5.get(), "status"), (Strings{"completed", "completed", "failed"}));
  EXPECT_EQ(ReadStringColumn(h5.get(), "reason"), (Strings{"", "", "NaN loss \"x\""}));
  EXPECT_EQ(ReadDoubleColumn(h5.get(), "config/params"), (std::vector<double>{1e6, 2e6, 4e6}));
  const auto flops = ReadDoubleColumn(h5.get(), "config/flops");
  ASSERT_EQ(flops.size(), 3u);
  EXPECT_TRUE(std::isnan(flops[0]));
  EXPECT_EQ(flops[1], 1.5e12);
  EXPECT_EQ(ReadStringColumn(h5.get(), "config/lang"), (Strings{"es", "en, fr", ""}));
  EXPECT_EQ(ReadDoubleColumn(h5.get(), "final/loss"), (std::vector<double>{2.5, 2.25, 0.0}));
  EXPECT_EQ(LinkNames(OpenGroup(h5.get(), "final").get()), (Strings{"cider", "loss"}));
}

TEST_F(CollectTest, CorruptRunFilesAreReportedAndSkipped) {
  WriteRun("good", {{"params", 1e6}}, {}, {{"loss", 2.5}}, RunStatus::kCompleted);
  const fs::path text = ResultsDir(root_).RunFile("x");
  std::ofstream(text) << "not hdf5";
  const fs::path truncated = ResultsDir(root_).RunFile("y");
  fs::copy_file(ResultsDir(root_).RunFile("good"), truncated);
  fs::resize_file(truncated, 100);
  const fs::path renamed = ResultsDir(root_).RunFile("z");
  fs::copy_file(ResultsDir(root_).RunFile("good"), renamed);

  const CollectSummary summary = CollectResults(root_);
  EXPECT_EQ(summary.finished, 1);
  ASSERT_EQ(summary.problems.size(), 3u);
  EXPECT_EQ(summary.problems[0].rfind(text.string() + ": not an HDF5 file", 0), 0u)
      << summary.problems[0];
  EXPECT_EQ(summary.problems[1].rfind(truncated.string() + ": not an HDF5 file", 0), 0u)
      << summary.problems[1];
  EXPECT_EQ(summary.problems[2].rfind(renamed.string() + ": holds run_id 'good'", 0), 0u)
      << summary.problems[2];
  EXPECT_EQ(Read(summary.results_csv),
            "run_id,status,reason,config/params,final/loss\ngood,completed,,1e+06,2.5\n");
}

TEST_F(CollectTest, EmptyDirectoryGivesHeaderOnlyTablesAndMissingDirectoryThrows) {
  const CollectSummary summary = CollectResults(root_);
  EXPECT_EQ(summary.finished, 0);
  EXPECT_EQ(Read(summary.results_csv), "run_id,status,reason\n");
  const fs::path missing = root_ / "nope";
  try {
    CollectResults(missing);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_PRED_FORMAT2(::testing::IsSubstring, missing.string(), e.what());
  }
}

TEST_F(CollectTest, ResultsTableIsNotARunFile) {
  CollectResults(root_);
  try {
    RunFileReader::Open(root_ / "results.h5");
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_PRED_FORMAT2(::testing::IsSubstring, (root_ / "results.h5").string(), e.what());
    EXPECT_PRED_FORMAT2(::testing::IsSubstring, "not a florenz run file", e.what());
  }
}

}  // namespace
}  // namespace florenz
