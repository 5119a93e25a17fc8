// `mpiexec -n P florenz run` end to end, real processes: gangs of 1 (-n 3) and of 2 (-n 5)
// train a quickstart-shaped grid to the same curves as one process (bit-identical for gangs of
// one, within 1e-5 for tp = 2 gangs); a throwing run is retried then recorded failed while the
// rest complete; a hanging rank is declared lost and its run finished elsewhere; `kill -9` of
// the whole job then the same command completes every run without rewriting finished files;
// SIGUSR2 checkpoints every gang and exits 4, and the same command resumes.
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

using e2e::ReadBytes;
using e2e::Result;
using e2e::WithoutTimes;

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// The quickstart's data and coverage with tiny sizes: 2 sizes × 2 budgets.
std::string Grid(int64_t small_budget, int tp_of_b, const std::string& execution) {
  return "experiment: {name: coordinator-e2e}\n"
         "data:\n"
         "  image: symbolic\n"
         "  max_caption_tokens: 20\n"
         "  languages: [en, de, es]\n"
         "  coverage:\n"
         "    caption: {en: train, de: train, es: eval}\n"
         "    translate: {de: train, es: train}\n"
         "model:\n"
         "  sizes:\n"
         "    - {name: a, d_model: 16, layers: 1, heads: 2, ffn: 32}\n"
         "    - {name: b, d_model: 32, layers: 1, heads: 2, ffn: 64, tensor_parallel: " +
         std::to_string(tp_of_b) +
         "}\n"
         "training:\n"
         "  budgets: [" +
         std::to_string(small_budget) + ", " + std::to_string(2 * small_budget) +
         "]\n"
         "  batch_size: 32\n"
         "  log_interval: 5\n"
         "evaluation: {interval: 640, samples_per_pair: 8}\n"
         "execution: {checkpoint_interval: 320, threads: 1" +
         execution + "}\n";
}

std::string Command(int ranks, const std::string& arguments, const std::string& environment) {
  std::string command = "env " + environment + " " + e2e::kMpiEnvironment + " ";
  if (ranks > 0) command += std::string(MPIEXEC) + " -n " + std::to_string(ranks) + " ";
  return command + FLORENZ_BIN + " " + arguments;
}

Result Florenz(int ranks, const std::string& arguments, const std::string& environment = "") {
  return e2e::RunShell(Command(ranks, arguments, environment));
}

// Starts the job in its own process group (so the whole job can be signalled) with output to
// `log`; returns the group's leader pid.
pid_t Start(int ranks, const std::string& arguments, const fs::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    const std::string command =
        "exec " + Command(ranks, arguments, "") + " > " + log.string() + " 2>&1";
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class CoordinatorE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / "florenz_coordinator_e2e" /
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  fs::path WriteGrid(const std::string& name, const std::string& text) {
    const fs::path file = root_ / name;
    std::ofstream(file) << text;
    return file;
  }
  std::string Args(const fs::path& grid, const std::string& out) {
    return "run " + grid.string() + " --out " + (root_ / out).string();
  }
  // Run id → the committed run file of every run in `out`.
  std::map<std::string, fs::path> Files(const std::string& out) {
    std::map<std::string, fs::path> files;
    for (const auto& entry : fs::directory_iterator(root_ / out / "runs")) {
      if (entry.path().extension() == ".h5") files[entry.path().stem().string()] = entry.path();
    }
    return files;
  }
  fs::path root_;
};

TEST_F(CoordinatorE2eTest, GangsOfOneAndTwoTrainWhatOneProcessTrains) {
  const fs::path grid = WriteGrid("grid.yaml", Grid(640, 1, ""));
  const Result alone = Florenz(0, Args(grid, "one-process"));
  ASSERT_EQ(alone.code, 0) << alone.output;
  const Result three = Florenz(3, Args(grid, "np3"));
  ASSERT_EQ(three.code, 0) << three.output;
  EXPECT_THAT(three.output, HasSubstr("2 worker ranks"));
  EXPECT_THAT(three.output, HasSubstr("coordinator: "));  // its CPU time over the grid
  std::cout << three.output.substr(three.output.find("coordinator: ")) << "\n";
  const auto reference = Files("one-process");
  const auto gangs_of_one = Files("np3");
  ASSERT_EQ(reference.size(), 4u);
  ASSERT_EQ(gangs_of_one.size(), 4u);
  for (const auto& [id, file] : reference) {
    const RunFileReader expected = RunFileReader::Open(file);
    const RunFileReader actual = RunFileReader::Open(gangs_of_one.at(id));
    EXPECT_EQ(actual.ReadTrain().loss, expected.ReadTrain().loss) << id << ": bit-identical";
    EXPECT_EQ(WithoutTimes(actual.final_metrics()), WithoutTimes(expected.final_metrics())) << id;
  }

  // Size b at tensor_parallel 2: gangs of 1 and 2 in one job (-n 5: 4 workers).
  const fs::path tp_grid = WriteGrid("grid-tp.yaml", Grid(640, 2, ""));
  const Result five = Florenz(5, Args(tp_grid, "np5"));
  ASSERT_EQ(five.code, 0) << five.output;
  for (const auto& [id, file] : Files("np5")) {
    const auto expected = RunFileReader::Open(reference.at(id)).ReadTrain().loss;
    const auto actual = RunFileReader::Open(file).ReadTrain().loss;
    ASSERT_EQ(actual.size(), expected.size()) << id;
    for (size_t i = 0; i < actual.size(); ++i) {
      EXPECT_NEAR(actual[i], expected[i], 1e-5 * expected[i]) << id << " row " << i;
    }
  }
}

TEST_F(CoordinatorE2eTest, FaultsStayWithTheirRun) {
  const fs::path grid = WriteGrid("grid.yaml", Grid(640, 1, ", retries: 1, heartbeat_timeout: 4"));
  const Result reference = Florenz(0, Args(grid, "reference"));
  ASSERT_EQ(reference.code, 0) << reference.output;
  // b-640 throws on every attempt; a-1280 hangs its rank at step 25, after its step-20
  // checkpoint, so its gang goes silent, and the run resumes on the other rank (where the
  // "-once" fault no longer fires: the run has a checkpoint).
  const Result faults =
      Florenz(3, Args(grid, "faults"), "FLORENZ_FAULT='b-640:throw@5;a-1280:hang-once@25'");
  EXPECT_EQ(faults.code, 3) << faults.output;
  EXPECT_THAT(faults.output, HasSubstr("attempt 2 failed: injected fault in b-640"));
  EXPECT_THAT(faults.output, HasSubstr("declared lost, run requeued on other ranks"));
  EXPECT_THAT(faults.output, HasSubstr("1 run(s) failed: b-640-s0-"));
  const auto expected = Files("reference");
  for (const auto& [id, file] : Files("faults")) {
    const RunFileReader run = RunFileReader::Open(file);
    if (id.rfind("b-640", 0) == 0) {
      EXPECT_EQ(run.status(), RunStatus::kFailed);
      continue;
    }
    EXPECT_EQ(run.status(), RunStatus::kCompleted) << id;
    EXPECT_EQ(WithoutTimes(run.final_metrics()),
              WithoutTimes(RunFileReader::Open(expected.at(id)).final_metrics()))
        << id << ": the moved run ends where an undisturbed one does";
  }
}

TEST_F(CoordinatorE2eTest, KillNineThenTheSameCommandFinishesEveryRun) {
  const fs::path grid = WriteGrid("grid.yaml", Grid(3200, 1, ""));
  const Result reference = Florenz(0, Args(grid, "reference"));
  ASSERT_EQ(reference.code, 0) << reference.output;
  const pid_t job = Start(3, Args(grid, "killed"), root_ / "first.log");
  // Kill once one run is committed and another has a checkpoint.
  const fs::path out = root_ / "killed";
  for (int i = 0; i < 600; ++i) {
    bool committed = false, checkpointed = false;
    if (fs::exists(out / "runs")) {
      for (const auto& e : fs::directory_iterator(out / "runs")) {
        committed |= e.path().extension() == ".h5";
      }
    }
    if (fs::exists(out / "checkpoints")) {
      for (const auto& e : fs::recursive_directory_iterator(out / "checkpoints")) {
        checkpointed |= e.path().filename() == "checkpoint.pt";
      }
    }
    if (committed && checkpointed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(-job, SIGKILL);  // mpiexec and every rank
  Wait(job);
  std::map<std::string, std::string> before;
  for (const auto& [id, file] : Files("killed")) before[id] = ReadBytes(file);
  ASSERT_FALSE(before.empty());
  ASSERT_LT(before.size(), 4u) << "the kill came after the grid finished";

  const Result again = Florenz(3, Args(grid, "killed"));
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("finished earlier, skipped"));
  const auto files = Files("killed");
  ASSERT_EQ(files.size(), 4u);
  for (const auto& [id, bytes] : before) {
    EXPECT_EQ(ReadBytes(files.at(id)), bytes) << id << " was rewritten";
  }
  for (const auto& [id, file] : Files("reference")) {
    const RunFileReader expected = RunFileReader::Open(file);
    const RunFileReader actual = RunFileReader::Open(files.at(id));
    EXPECT_EQ(WithoutTimes(actual.final_metrics()), WithoutTimes(expected.final_metrics())) << id;
    EXPECT_EQ(actual.ReadTrain().loss, expected.ReadTrain().loss) << id;
  }
}

TEST_F(CoordinatorE2eTest, Sigusr2CheckpointsEveryGangAndTheSameCommandResumes) {
  const fs::path grid = WriteGrid("grid.yaml", Grid(3200, 1, ""));
  const Result reference = Florenz(0, Args(grid, "reference"));
  ASSERT_EQ(reference.code, 0) << reference.output;
  const pid_t job = Start(3, Args(grid, "signalled"), root_ / "first.log");
  const fs::path out = root_ / "signalled";
  // Signal once a run has written a checkpoint: every rank is then past its start-up (and has
  // installed its handlers), and the grid is not yet finished.
  auto checkpointed = [&] {
    if (!fs::exists(out / "checkpoints")) return false;
    for (const auto& e : fs::recursive_directory_iterator(out / "checkpoints")) {
      if (e.path().filename() == "checkpoint.pt") return true;
    }
    return false;
  };
  for (int i = 0; i < 1200 && !checkpointed(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  kill(job, SIGUSR2);  // mpiexec forwards it to every rank
  const int code = Wait(job);
  const std::string log = ReadBytes(root_ / "first.log");
  ASSERT_EQ(code, 4) << log;
  EXPECT_THAT(log, HasSubstr("stopped by SIGUSR2 after step"));
  EXPECT_THAT(log, HasSubstr("the same command resumes (exit code 4)"));

  const Result again = Florenz(3, Args(grid, "signalled"));
  ASSERT_EQ(again.code, 0) << again.output;
  const auto files = Files("signalled");
  ASSERT_EQ(files.size(), 4u);
  for (const auto& [id, file] : Files("reference")) {
    EXPECT_EQ(WithoutTimes(RunFileReader::Open(files.at(id)).final_metrics()),
              WithoutTimes(RunFileReader::Open(file).final_metrics()))
        << id;
  }
}

}  // namespace
}  // namespace florenz
