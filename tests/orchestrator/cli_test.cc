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
