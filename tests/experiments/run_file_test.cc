// Tests of RunFileWriter and RunFileReader: exact round trips, the .partial -> .h5 commit, live
// reading of a run written by another process (run_file_writer_tool), h5dump on a live run, a
// writer killed with SIGKILL, and the errors for missing, foreign and corrupt files.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "core/errors.h"
#include "experiments/collect.h"
#include "experiments/results_dir.h"
#include "experiments/run_file_reader.h"
#include "experiments/run_file_writer.h"
#include "gtest/gtest.h"

extern char** environ;

namespace florenz {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Expects `statement` to throw IoError whose message contains every one of `parts`.
#define EXPECT_IO_ERROR(statement, ...)                                     \
  try {                                                                     \
    statement;                                                              \
    ADD_FAILURE() << "expected IoError from " #statement;                   \
  } catch (const IoError& e) {                                              \
    for (const std::string& part : std::vector<std::string>{__VA_ARGS__}) { \
      EXPECT_PRED_FORMAT2(::testing::IsSubstring, part, e.what());          \
    }                                                                       \
  }

class RunFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    root_ = fs::path(::testing::TempDir()) /
            ("florenz_run_file_test_" + std::to_string(::getpid()) + "_" + test);
    fs::remove_all(root_);
    ResultsDir(root_).Create();
    runs_ = ResultsDir(root_).RunsDir();
  }
  void TearDown() override { fs::remove_all(root_); }

  static RunConfig Config(const std::string& run_id) {
    RunConfig config;
    config.run_id = run_id;
    config.spec_yaml = "model: {size: s}\nlanguages: [es, en]\n";
    config.numbers = {{"params", 123456789.0}, {"flops_per_sample", 6.02e23}, {"tiny", 1e-300}};
    config.strings = {{"lang", "es"}, {"note", "a, \"quoted\"\nline"}};
    return config;
  }
  static RunFileLayout Layout() {
    RunFileLayout layout;
    layout.eval_pairs = {"caption_es", "vqa_en"};
    layout.eval_metrics = {"loss", "accuracy"};
    layout.final_metrics = {"loss_caption_es", "accuracy_vqa_en"};
    return layout;
  }
  static TrainRecord Train(int i) {
    return {100 * i, 3200 * i, 10.0 / (i + 3), 0.1 * i, -0.7 * i, 1.5 * i + 0.1};
  }

  fs::path root_, runs_;
};

TEST_F(RunFileTest, StatusNamesRoundTrip) {
  for (RunStatus s :
       {RunStatus::kRunning, RunStatus::kCompleted, RunStatus::kFailed, RunStatus::kUnfinished}) {
    RunStatus parsed = RunStatus::kRunning;
    ASSERT_TRUE(FromString(ToString(s), &parsed));
    EXPECT_EQ(parsed, s);
  }
  RunStatus untouched = RunStatus::kFailed;
  EXPECT_FALSE(FromString("done", &untouched));
  EXPECT_EQ(untouched, RunStatus::kFailed);
}

TEST_F(RunFileTest, RoundTripsEveryValueExactly) {
  auto writer = RunFileWriter::Create(ResultsDir(root_), Config("r1"), Layout());
  for (int i = 0; i < 50; ++i) writer.AppendTrain(Train(i));
  writer.AppendEval("caption_es", {0, 0, {3.25, kNaN}});
  writer.AppendEval("caption_es", {1000, 32000, {0.1, 0.3}});
  writer.AppendEval("vqa_en", {1000, 32000, {1e-300, -0.0}});
  const fs::path committed = writer.Finish(RunStatus::kCompleted, "", {{"loss_caption_es", 0.1}});
  EXPECT_EQ(committed, runs_ / "r1.h5");

  const RunFileReader reader = RunFileReader::Open(committed);
  EXPECT_EQ(reader.status(), RunStatus::kCompleted);
  EXPECT_EQ(reader.run_id(), "r1");
  EXPECT_EQ(reader.spec_yaml(), Config("r1").spec_yaml);
  EXPECT_EQ(reader.reason(), "");
  EXPECT_EQ(reader.numbers(),
            (std::map<std::string, double>{
                {"flops_per_sample", 6.02e23}, {"params", 123456789.0}, {"tiny", 1e-300}}));
  EXPECT_EQ(reader.strings(),
            (std::map<std::string, std::string>{{"lang", "es"}, {"note", "a, \"quoted\"\nline"}}));
  const auto finals = reader.final_metrics();
  ASSERT_EQ(finals.size(), 2u);
  EXPECT_EQ(finals.at("loss_caption_es"), 0.1);
  EXPECT_TRUE(std::isnan(finals.at("accuracy_vqa_en")));

  const auto train = reader.ReadTrain();
  ASSERT_EQ(train.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    const TrainRecord want = Train(i);
    EXPECT_EQ(train.step[i], want.step);
    EXPECT_EQ(train.samples[i], want.samples);
    EXPECT_EQ(train.loss[i], want.loss);
    EXPECT_EQ(train.lr[i], want.lr);
    EXPECT_EQ(train.grad_norm[i], want.grad_norm);
    EXPECT_EQ(train.seconds[i], want.seconds);
  }

  EXPECT_EQ(reader.eval_pairs(), (Strings{"caption_es", "vqa_en"}));
  const auto caption = reader.ReadEval("caption_es");
  EXPECT_EQ(caption.step, (std::vector<int64_t>{0, 1000}));
  EXPECT_EQ(caption.samples, (std::vector<int64_t>{0, 32000}));
  ASSERT_EQ(caption.metrics.size(), 2u);
  EXPECT_EQ(caption.metrics.at("loss"), (std::vector<double>{3.25, 0.1}));
  EXPECT_TRUE(std::isnan(caption.metrics.at("accuracy")[0]));
  EXPECT_EQ(caption.metrics.at("accuracy")[1], 0.3);
  const auto vqa = reader.ReadEval("vqa_en");
  EXPECT_EQ(vqa.metrics.at("loss"), (std::vector<double>{1e-300}));
  EXPECT_TRUE(std::signbit(vqa.metrics.at("accuracy")[0]));
  EXPECT_IO_ERROR(reader.ReadEval("caption_fr"), committed.string(), "caption_fr");
}

TEST_F(RunFileTest, FinishCommitsByRenameAndLeavesNothingElse) {
  auto writer = RunFileWriter::Create(ResultsDir(root_), Config("r2"), Layout());
  EXPECT_TRUE(fs::exists(runs_ / "r2.h5.partial"));  // Every dataset exists from the start.
  writer.AppendTrain(Train(1));
  writer.Flush();
  EXPECT_FALSE(fs::exists(runs_ / "r2.h5"));
  writer.Finish(RunStatus::kFailed, "CUDA out of memory at step 100", {});

  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(runs_)) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, Strings{"r2.h5"});
  const RunFileReader reader = RunFileReader::Open(runs_ / "r2.h5");
  EXPECT_EQ(reader.status(), RunStatus::kFailed);
  EXPECT_EQ(reader.reason(), "CUDA out of memory at step 100");
  EXPECT_EQ(reader.ReadTrain().size(), 1u);
  EXPECT_TRUE(ResultsDir(root_).IsFinished("r2"));
}

TEST_F(RunFileTest, PartialIsReadableAndRefreshSeesFlushedRowsThenTheCommit) {
  auto writer = RunFileWriter::Create(ResultsDir(root_), Config("r3"), Layout());
  RunFileReader reader = RunFileReader::Open(runs_ / "r3.h5.partial");
  EXPECT_EQ(reader.status(), RunStatus::kUnfinished);
  EXPECT_EQ(reader.run_id(), "r3");
  EXPECT_EQ(reader.ReadTrain().size(), 0u);
  EXPECT_EQ(reader.ReadEval("vqa_en").metrics.size(), 2u);  // Empty but present.
  EXPECT_TRUE(std::isnan(reader.final_metrics().at("loss_caption_es")));

  writer.AppendTrain(Train(1));
  writer.AppendTrain(Train(2));
  reader.Refresh();
  EXPECT_EQ(reader.ReadTrain().size(), 0u);  // Not flushed: not published.
  writer.Flush();
  EXPECT_EQ(reader.ReadTrain().size(), 0u);  // Published, but not yet refreshed.
  reader.Refresh();
  EXPECT_EQ(reader.ReadTrain().loss, (std::vector<double>{Train(1).loss, Train(2).loss}));

  writer.Finish(RunStatus::kCompleted, "", {{"accuracy_vqa_en", 0.75}});
  reader.Refresh();
  EXPECT_EQ(reader.path(), runs_ / "r3.h5");
  EXPECT_EQ(reader.status(), RunStatus::kCompleted);
  EXPECT_EQ(reader.final_metrics().at("accuracy_vqa_en"), 0.75);
}

TEST_F(RunFileTest, CreateReplacesAStalePartialAndRefusesAFinishedRun) {
  std::ofstream(runs_ / "r4.h5.partial") << "left by a killed writer";
  std::ofstream(runs_ / "r4.h5.partial.tmp") << "half a snapshot";
  auto writer = RunFileWriter::Create(ResultsDir(root_), Config("r4"), Layout());
  EXPECT_FALSE(fs::exists(runs_ / "r4.h5.partial.tmp"));
  EXPECT_EQ(RunFileReader::Open(runs_ / "r4.h5.partial").ReadTrain().size(), 0u);
  writer.Finish(RunStatus::kCompleted, "", {});
  EXPECT_IO_ERROR(RunFileWriter::Create(ResultsDir(root_), Config("r4"), Layout()),
                  (runs_ / "r4.h5").string(), "already finished");
}

TEST_F(RunFileTest, RejectsInvalidArgumentsAndUseAfterFinish) {
  RunConfig bad_id = Config("a/b");
  EXPECT_THROW(RunFileWriter::Create(ResultsDir(root_), bad_id, Layout()), std::invalid_argument);
  RunFileLayout reserved = Layout();
  reserved.eval_metrics = {"step"};
  EXPECT_THROW(RunFileWriter::Create(ResultsDir(root_), Config("r5"), reserved),
               std::invalid_argument);
  RunConfig duplicate = Config("r5");
  duplicate.strings.push_back({"params", "x"});
  EXPECT_THROW(RunFileWriter::Create(ResultsDir(root_), duplicate, Layout()),
               std::invalid_argument);

  auto writer = RunFileWriter::Create(ResultsDir(root_), Config("r5"), Layout());
  EXPECT_THROW(writer.AppendEval("caption_fr", {0, 0, {1, 2}}), std::invalid_argument);
  EXPECT_THROW(writer.AppendEval("caption_es", {0, 0, {1}}), std::invalid_argument);
  EXPECT_THROW(writer.Finish(RunStatus::kRunning, "", {}), std::invalid_argument);
  EXPECT_THROW(writer.Finish(RunStatus::kCompleted, "", {{"bleu", 1}}), std::invalid_argument);
  writer.Finish(RunStatus::kCompleted, "", {});
  EXPECT_THROW(writer.AppendTrain(Train(1)), std::logic_error);
  EXPECT_THROW(writer.Flush(), std::logic_error);
}

TEST_F(RunFileTest, MissingFileErrorNamesTheFile) {
  const fs::path missing = runs_ / "nope.h5";
  EXPECT_IO_ERROR(RunFileReader::Open(missing), missing.string(), "no such file");
}

TEST_F(RunFileTest, TextFileErrorNamesTheFile) {
  const fs::path text = runs_ / "x.h5";
  std::ofstream(text) << "this is not HDF5\n";
  EXPECT_IO_ERROR(RunFileReader::Open(text), text.string(),
                  "not an HDF5 file (truncated or corrupt)");
}

TEST_F(RunFileTest, TruncatedCopyErrorNamesTheFile) {
  auto writer = RunFileWriter::Create(ResultsDir(root_), Config("r6"), Layout());
  for (int i = 0; i < 5000; ++i) writer.AppendTrain(Train(i));
  const fs::path committed = writer.Finish(RunStatus::kCompleted, "", {});
  const fs::path truncated = root_ / "truncated.h5";
  fs::copy_file(committed, truncated);
  fs::resize_file(truncated, fs::file_size(committed) / 2);
  EXPECT_IO_ERROR(RunFileReader::Open(truncated), truncated.string(),
                  "not an HDF5 file (truncated or corrupt)");
}

// ---- Another process writes the run --------------------------------------------------------

// The tool's row i (see run_file_writer_tool.cc).
double ToolLoss(int i) { return 1.0 / (i + 1); }

class WriterProcess {
 public:
  WriterProcess(const fs::path& out, const std::string& run_id, int rows, int interval_ms,
                const std::string& at_end) {
    std::vector<std::string> args = {
        FLORENZ_RUN_FILE_WRITER_TOOL, out.string(), run_id, std::to_string(rows),
        std::to_string(interval_ms),  at_end};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  ~WriterProcess() {
    if (pid_ > 0) Kill();
  }
  bool started() const { return pid_ > 0; }
  bool Alive() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  void Kill() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int Wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
};

// Polls until the run file at `file` opens and holds at least `rows` train rows (10 s at most).
RunFileReader WaitForRows(const fs::path& file, size_t rows) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    try {
      RunFileReader reader = RunFileReader::Open(file);
      if (reader.ReadTrain().size() >= rows) return reader;
    } catch (const IoError&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("timed out waiting for rows in " + file.string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Runs a shell command; returns its exit status and fills `output` with stdout and stderr.
int RunCommand(const std::string& command, std::string* output) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) output->append(buffer, n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(RunFileTest, ReaderAndH5dumpReadARunWhileItsWriterAppends) {
  WriterProcess writer(root_, "live", 500, 20, "stay");
  ASSERT_TRUE(writer.started());
  const fs::path partial = runs_ / "live.h5.partial";
  RunFileReader reader = WaitForRows(partial, 3);
  const size_t first = reader.ReadTrain().size();
  EXPECT_EQ(reader.status(), RunStatus::kUnfinished);

  // Rows grow after Refresh while the writer keeps appending.
  size_t later = first;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (later <= first + 5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    reader.Refresh();
    later = reader.ReadTrain().size();
  }
  EXPECT_GT(later, first + 5);
  const auto train = reader.ReadTrain();
  for (size_t i = 0; i < train.size(); ++i) {
    ASSERT_EQ(train.loss[i], ToolLoss(static_cast<int>(i))) << "row " << i;
    ASSERT_EQ(train.step[i], 10 * static_cast<int64_t>(i));
  }

  // h5dump (HDF5's own tool) reads the live run: header and data.
  std::string where;
  if (RunCommand("command -v h5dump", &where) != 0) {
    GTEST_SKIP() << "h5dump not on PATH (Debian: apt-get install hdf5-tools)";
  }
  ASSERT_TRUE(writer.Alive());
  std::string header, data;
  EXPECT_EQ(RunCommand("h5dump -H '" + partial.string() + "'", &header), 0) << header;
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "DATASET \"loss\"", header);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "GROUP \"caption_es\"", header);
  EXPECT_EQ(RunCommand("h5dump -d /train/loss '" + partial.string() + "'", &data), 0) << data;
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "(0): 1, 0.5, 0.333333", data);
  EXPECT_TRUE(writer.Alive()) << "the writer must still be running during h5dump";
}

TEST_F(RunFileTest, WriterKilledWithSigkillLeavesAReadableUnfinishedRun) {
  {
    auto done = RunFileWriter::Create(ResultsDir(root_), Config("done"), Layout());
    done.AppendTrain(Train(1));
    done.Finish(RunStatus::kCompleted, "", {{"loss_caption_es", 0.5}});
  }
  WriterProcess writer(root_, "killed", 500, 5, "stay");
  ASSERT_TRUE(writer.started());
  WaitForRows(runs_ / "killed.h5.partial", 20);
  writer.Kill();  // Possibly in the middle of writing a snapshot.

  const RunFileReader reader = RunFileReader::Open(runs_ / "killed.h5.partial");
  EXPECT_EQ(reader.status(), RunStatus::kUnfinished);
  const auto train = reader.ReadTrain();
  ASSERT_GE(train.size(), 20u);
  for (size_t i = 0; i < train.size(); ++i) {
    ASSERT_EQ(train.loss[i], ToolLoss(static_cast<int>(i))) << "row " << i;
  }
  EXPECT_GE(reader.ReadEval("caption_es").size(), 5u);

  const auto runs = ResultsDir(root_).ListRuns();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].run_id, "done");
  EXPECT_TRUE(runs[0].finished);
  EXPECT_EQ(runs[1].run_id, "killed");
  EXPECT_FALSE(runs[1].finished);

  const CollectSummary summary = CollectResults(root_);
  EXPECT_EQ(summary.finished, 1);
  EXPECT_EQ(summary.unfinished, 1);
  EXPECT_EQ(summary.unfinished_runs, Strings{"killed"});
  EXPECT_TRUE(summary.problems.empty());
}

TEST_F(RunFileTest, WriterProcessThatFinishesCommitsTheRun) {
  WriterProcess writer(root_, "full", 8, 0, "finish");
  ASSERT_TRUE(writer.started());
  ASSERT_EQ(writer.Wait(), 0);
  EXPECT_FALSE(fs::exists(runs_ / "full.h5.partial"));
  const RunFileReader reader = RunFileReader::Open(runs_ / "full.h5");
  EXPECT_EQ(reader.status(), RunStatus::kCompleted);
  EXPECT_EQ(reader.ReadTrain().size(), 8u);
  EXPECT_EQ(reader.final_metrics().at("loss"), 1.0 / 8);
  EXPECT_EQ(reader.strings().at("lang"), "es");
}

}  // namespace
}  // namespace florenz
