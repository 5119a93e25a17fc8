// The `florenz` binary as a user meets it: help for every subcommand, exit codes 0 / 2 / 1,
// and FILE:LINE:COLUMN messages for bad grids.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "experiments/results_dir.h"
#include "experiments/run_file_writer.h"

namespace {

using ::testing::HasSubstr;

struct Result {
  int code = -1;
  std::string output;  // stdout and stderr together
};

Result Florenz(const std::string& arguments) {
  const std::string command = std::string(FLORENZ_BIN) + " " + arguments + " 2>&1";
  Result result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string Grid(const std::string& name) {
  return std::string(FLORENZ_SOURCE_DIR) + "/experiments/grids/" + name + ".yaml";
}

TEST(CliTest, EverySubcommandHasHelp) {
  for (const char* sub : {"", "validate", "collect"}) {
    const Result r = Florenz(std::string(sub) + " --help");
    EXPECT_EQ(r.code, 0) << sub << "\n" << r.output;
    EXPECT_THAT(r.output, HasSubstr("Usage")) << sub;
  }
}

TEST(CliTest, ValidatePrintsTheRunTable) {
  const Result r = Florenz("validate " + Grid("quickstart"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("experiment 'quickstart', 4 runs"));
  EXPECT_THAT(r.output, HasSubstr("run id"));
  EXPECT_THAT(r.output, HasSubstr("xs-10k-s0-"));
  EXPECT_THAT(r.output, HasSubstr("est. train FLOPs"));
}

TEST(CliTest, ValidateJsonListsEveryRun) {
  const Result r = Florenz("validate --json " + Grid("florenz_paper"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"experiment\": \"florenz-paper\""));
  EXPECT_THAT(r.output, HasSubstr("\"ranks\": 32"));
  size_t runs = 0;
  for (size_t at = r.output.find("\"id\""); at != std::string::npos;
       at = r.output.find("\"id\"", at + 1)) {
    ++runs;
  }
  EXPECT_EQ(runs, 16u);
}

TEST(CliTest, BadGridExitsTwoWithFileLineColumn) {
  const auto dir = std::filesystem::temp_directory_path() / "florenz_cli_test";
  std::filesystem::create_directories(dir);
  const auto bad = dir / "bad.yaml";
  std::ofstream(bad) << "experiment:\n  name: x\n  seedz: [0]\n";
  const Result r = Florenz("validate " + bad.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr(bad.string() + ":3:3: unknown key 'seedz' in 'experiment' "
                                                 "(did you mean 'seeds'?)"));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("terminate")));
}

TEST(CliTest, MissingGridFileExitsTwo) {
  const Result r = Florenz("validate /nonexistent/grid.yaml");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("/nonexistent/grid.yaml: cannot open the grid file"));
}

TEST(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Florenz("").code, 2);
  EXPECT_EQ(Florenz("no-such-subcommand").code, 2);
  EXPECT_EQ(Florenz("validate").code, 2);
  EXPECT_EQ(Florenz("validate --no-such-flag x.yaml").code, 2);
}

TEST(CliTest, CollectOfAMissingFolderExitsTwo) {
  const Result r = Florenz("collect /nonexistent/results");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("/nonexistent/results"));
}

TEST(CliTest, VersionFlag) {
  const Result r = Florenz("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.output, HasSubstr("florenz "));
}

}  // namespace

namespace florenz {
namespace {

// A results folder with one completed, one failed and one unfinished run, written by the
// store's own writer, collected by the binary.
TEST(CliCollectTest, CollectsFinishedRunsIntoCsvAndHdf5) {
  const auto out = std::filesystem::temp_directory_path() / "florenz_cli_collect";
  std::filesystem::remove_all(out);
  ResultsDir dir(out);
  dir.Create();
  RunFileLayout layout;
  layout.eval_pairs = {"caption_es"};
  layout.eval_metrics = {"loss"};
  layout.final_metrics = {"loss_caption_es"};
  auto write = [&](const std::string& id, RunStatus status, bool finish) {
    RunConfig config;
    config.run_id = id;
    config.spec_yaml = "experiment: {name: t}\n";
    config.numbers = {{"params", 1000}, {"samples", 5000}};
    RunFileWriter writer = RunFileWriter::Create(dir.RunsDir(), config, layout);
    writer.AppendTrain(TrainRecord{1, 64, 2.5, 1e-3, 1.0, 0.1});
    writer.Flush();
    if (finish)
      writer.Finish(status, status == RunStatus::kFailed ? "diverged" : "",
                    {{"loss_caption_es", 1.25}});
  };
  write("xs-5k-s0-aaaaaaaa", RunStatus::kCompleted, true);
  write("xs-10k-s0-bbbbbbbb", RunStatus::kFailed, true);
  write("s-5k-s0-cccccccc", RunStatus::kCompleted, false);

  const Result r = Florenz("collect " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("2 runs (1 completed, 1 failed)"));
  EXPECT_THAT(r.output, HasSubstr("1 unfinished"));
  std::ifstream csv(out / "results.csv");
  std::string header, first, second, extra;
  std::getline(csv, header);
  std::getline(csv, first);
  std::getline(csv, second);
  EXPECT_FALSE(std::getline(csv, extra)) << "unfinished runs are not rows";
  EXPECT_THAT(header, HasSubstr("run_id,status,reason"));
  EXPECT_THAT(header, HasSubstr("final/loss_caption_es"));
  EXPECT_THAT(first + second, HasSubstr("xs-5k-s0-aaaaaaaa,completed"));
  EXPECT_THAT(first + second, HasSubstr("xs-10k-s0-bbbbbbbb,failed,diverged"));
  EXPECT_TRUE(std::filesystem::exists(out / "results.h5"));
}

}  // namespace
}  // namespace florenz
