// `florenz status` from the files alone: every state (finished, failed, running, interrupted,
// queued), progress, loss, rate and ETA from the logged rows, runs outside the stored grid,
// unreadable files, and that reading changes nothing in the folder.
#include "orchestrator/job_status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>

#include "core/errors.h"
#include "experiments/grid_loader.h"
#include "experiments/results_dir.h"
#include "experiments/run_file_writer.h"
#include "experiments/spec_writer.h"

namespace florenz {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class StatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("florenz_status_test_" +
            std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    grid_ = LoadGrid(std::string(FLORENZ_SOURCE_DIR) + "/experiments/grids/quickstart.yaml");
    ResultsDir results(dir_);
    results.Create();
    results.WriteExperimentYaml(SpecToYaml(grid_.spec));
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A writer for run `index` of the grid with `rows` train rows: samples 64 a step, 10 s a row
  // (the second attempt's rows, when `resumed_at` > 0, restart their clock there).
  RunFileWriter Write(const std::string& id, int rows, int resumed_at = 0,
                      const std::map<std::string, std::string>& strings = {}) {
    RunConfig config;
    config.run_id = id;
    config.spec_yaml = "{}";
    config.strings.assign(strings.begin(), strings.end());
    const RunSpec* run = Find(id);
    config.numbers = {{"samples", run ? static_cast<double>(run->samples()) : 1000.0},
                      {"batch_size", 64}};
    RunFileWriter writer = RunFileWriter::Create(ResultsDir(dir_), config, {});
    for (int i = 1; i <= rows; ++i) {
      const double seconds = i > resumed_at && resumed_at > 0 ? 10.0 * (i - resumed_at) : 10.0 * i;
      writer.AppendTrain(TrainRecord{i, 64 * i, 5.0 - 0.1 * i, 1e-3, 1, seconds});
    }
    writer.Flush();
    return writer;
  }
  const RunSpec* Find(const std::string& id) const {
    for (const auto& run : grid_.runs) {
      if (run.id == id) return &run;
    }
    return nullptr;
  }
  void Age(const fs::path& file, int seconds) {
    fs::last_write_time(file, fs::last_write_time(file) - std::chrono::seconds(seconds));
  }

  fs::path dir_;
  LoadedGrid grid_;
};

TEST_F(StatusTest, EveryStateFromTheFiles) {
  ASSERT_EQ(grid_.runs.size(), 4u);
  const std::string finished = grid_.runs[0].id, failed = grid_.runs[1].id,
                    running = grid_.runs[2].id, interrupted = grid_.runs[3].id;
  Write(finished, 5).Finish(RunStatus::kCompleted, "", {});
  Write(failed, 2).Finish(RunStatus::kFailed, "diverged at step 3 (loss = nan)", {});
  { RunFileWriter live = Write(running, 4); }  // left as a fresh .partial
  { RunFileWriter dead = Write(interrupted, 3); }
  Age(ResultsDir(dir_).PartialFile(interrupted), 3600);

  const StatusReport report = ReadStatus(dir_, StatusOptions{}, Now());
  EXPECT_EQ(report.experiment, "quickstart");
  ASSERT_EQ(report.rows.size(), 4u);
  std::map<std::string, RunStatusRow> rows;
  for (const auto& row : report.rows) rows[row.id] = row;

  EXPECT_EQ(rows[finished].state, RunState::kFinished);
  EXPECT_EQ(rows[failed].state, RunState::kFailed);
  EXPECT_EQ(rows[failed].note, "diverged at step 3 (loss = nan)");
  EXPECT_EQ(rows[interrupted].state, RunState::kInterrupted);
  EXPECT_TRUE(std::isnan(rows[interrupted].eta_seconds));

  const RunStatusRow& live = rows[running];
  EXPECT_EQ(live.state, RunState::kRunning);
  EXPECT_EQ(live.samples, 256);
  EXPECT_EQ(live.budget, grid_.runs[2].samples() / 64 * 64);
  EXPECT_DOUBLE_EQ(live.loss, 4.6);
  EXPECT_DOUBLE_EQ(live.samples_per_second, 6.4);  // 64 samples every 10 s
  EXPECT_NEAR(live.eta_seconds, (live.budget - 256) / 6.4, 1e-6);
  EXPECT_LT(live.age_seconds, 60);

  const std::string text = StatusText(report);
  EXPECT_THAT(text, HasSubstr("4 runs: 1 finished, 1 running, 1 interrupted, 1 failed, 0 queued"));
  EXPECT_THAT(text, HasSubstr(failed + " (failed): diverged at step 3"));
  EXPECT_THAT(text, HasSubstr("256 / "));
}

// A run on a GPU shows its device and GPU; a folder of CPU runs keeps the table it had.
TEST_F(StatusTest, RunsOnAGpuShowTheirDevice) {
  const std::string cpu = grid_.runs[0].id, gpu = grid_.runs[1].id;
  { RunFileWriter live = Write(cpu, 2, 0, {{"device", "cpu"}}); }
  const std::string without = StatusText(ReadStatus(dir_, StatusOptions{}, Now()));
  EXPECT_THAT(without, ::testing::Not(HasSubstr("device")));
  { RunFileWriter live = Write(gpu, 2, 0, {{"device", "cuda:1"}, {"gpu_name", "NVIDIA H200"}}); }
  const StatusReport report = ReadStatus(dir_, StatusOptions{}, Now());
  std::map<std::string, RunStatusRow> rows;
  for (const auto& row : report.rows) rows[row.id] = row;
  EXPECT_EQ(rows[gpu].device, "cuda:1 (NVIDIA H200)");
  EXPECT_EQ(rows[cpu].device, "cpu");
  const std::string text = StatusText(report);
  EXPECT_THAT(text, HasSubstr("device"));
  EXPECT_THAT(text, HasSubstr("cuda:1 (NVIDIA H200)"));
}

TEST_F(StatusTest, QueuedRunsComeFromTheStoredGridAndStrayFilesAreMarked) {
  Write("old-run-from-another-grid", 1).Finish(RunStatus::kCompleted, "", {});
  const StatusReport report = ReadStatus(dir_, StatusOptions{}, Now());
  ASSERT_EQ(report.rows.size(), 5u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(report.rows[i].id, grid_.runs[i].id) << "grid order";
    EXPECT_EQ(report.rows[i].state, RunState::kQueued);
    EXPECT_EQ(report.rows[i].samples, 0);
    EXPECT_TRUE(report.rows[i].in_grid);
  }
  EXPECT_FALSE(report.rows[4].in_grid);
  EXPECT_EQ(report.Count(RunState::kQueued), 4);
  EXPECT_THAT(StatusText(report), HasSubstr("not in the stored grid"));
}

TEST_F(StatusTest, ResumedRunRateCountsTheCurrentAttemptOnly) {
  // Rows 1-6 replayed from the first attempt (60 s), rows 7-9 from the resumed one, whose
  // clock restarted: 10, 20, 30 s.
  { RunFileWriter live = Write(grid_.runs[0].id, 9, 6); }
  const StatusReport report = ReadStatus(dir_, StatusOptions{}, Now());
  EXPECT_EQ(report.rows[0].state, RunState::kRunning);
  EXPECT_DOUBLE_EQ(report.rows[0].samples_per_second, 6.4);
  EXPECT_EQ(report.rows[0].samples, 9 * 64);
}

TEST_F(StatusTest, StaleThresholdFollowsTheLoggingInterval) {
  { RunFileWriter slow = Write(grid_.runs[0].id, 2); }  // rows 10 s apart
  Age(ResultsDir(dir_).PartialFile(grid_.runs[0].id), 25);
  StatusOptions options;
  options.stale_after_seconds = 20;  // but 3 × 10 s between rows = 30 s wins
  EXPECT_EQ(ReadStatus(dir_, options, Now()).rows[0].state, RunState::kRunning);
  Age(ResultsDir(dir_).PartialFile(grid_.runs[0].id), 10);
  EXPECT_EQ(ReadStatus(dir_, options, Now()).rows[0].state, RunState::kInterrupted);
}

TEST_F(StatusTest, UnreadableFileIsARowNotAnError) {
  std::ofstream(ResultsDir(dir_).RunFile(grid_.runs[1].id)) << "not hdf5";
  const StatusReport report = ReadStatus(dir_, StatusOptions{}, Now());
  EXPECT_EQ(report.rows[1].state, RunState::kUnreadable);
  EXPECT_THAT(report.rows[1].note, HasSubstr(grid_.runs[1].id));
  EXPECT_EQ(report.rows[0].state, RunState::kQueued);
}

TEST_F(StatusTest, ReadingChangesNothing) {
  Write(grid_.runs[0].id, 3).Finish(RunStatus::kCompleted, "", {});
  { RunFileWriter live = Write(grid_.runs[1].id, 2); }
  auto snapshot = [&] {
    std::map<std::string, std::pair<uintmax_t, fs::file_time_type>> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
      files[entry.path().string()] = {entry.is_regular_file() ? entry.file_size() : 0,
                                      entry.last_write_time()};
    }
    return files;
  };
  const auto before = snapshot();
  ReadStatus(dir_, StatusOptions{}, Now());
  EXPECT_EQ(snapshot(), before);
}

// An ETA beyond any run's reach (a huge budget at a slow rate) prints "-", never an overflowed,
// negative clock (it once printed "ETA -35791394:-8").
TEST(StatusTextTest, AnEtaBeyondReachIsADashNotANegativeClock) {
  StatusReport report;
  report.experiment = "huge";
  RunStatusRow row;
  row.id = "xs-2G-s0-00000000";
  row.state = RunState::kRunning;
  row.samples = 64;
  row.budget = int64_t{2000000000} * 1000;
  row.loss = 5;
  row.samples_per_second = 0.5;
  row.eta_seconds = (row.budget - row.samples) / row.samples_per_second;
  row.age_seconds = 1;
  report.rows.push_back(row);
  const std::string text = StatusText(report);
  EXPECT_EQ(text.find(":-"), std::string::npos) << text;
  EXPECT_EQ(text.find(" -3"), std::string::npos) << text;
  EXPECT_THAT(text, HasSubstr("  -  "));
}

TEST(StatusErrorsTest, AFolderWithoutExperimentIsAnIoError) {
  EXPECT_THROW(
      ReadStatus(fs::temp_directory_path() / "florenz_no_such_results", StatusOptions{}, Now()),
      IoError);
}

}  // namespace
}  // namespace florenz
