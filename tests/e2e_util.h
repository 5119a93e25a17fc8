// Helpers of the tests that run the real `florenz` binary (tests/cli/, tests/orchestrator/): run a
// shell command and keep its exit code and output, read a file's bytes, and drop the wall-clock
// final metrics (the only ones two equal runs may differ in).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>

namespace florenz::e2e {

struct Result {
  int code = -1;
  std::string output;  // stdout and stderr together
};

inline Result RunShell(const std::string& command) {
  Result result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// The experiment and data sections of the e2e tests' tiny grids: symbolic images, three
// languages, Spanish captioning evaluation-only. Tests add model, training and execution.
inline std::string TinyGridHead(const std::string& name) {
  return "experiment: {name: " + name +
         "}\n"
         "data:\n"
         "  image: symbolic\n"
         "  max_caption_tokens: 24\n"
         "  languages: [en, de, es]\n"
         "  coverage:\n"
         "    caption: {en: train, de: train, es: eval}\n"
         "    translate: {de: train, es: train}\n";
}

// An empty folder of its own for the running test: TEMP/<prefix><test name>. CTest runs the
// tests of one file in parallel, so no two tests share a folder.
inline std::filesystem::path FreshTestFolder(const std::string& prefix) {
  const std::filesystem::path folder =
      std::filesystem::temp_directory_path() /
      (prefix + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  return folder;
}

// The environment of the tests' mpiexec jobs: Open MPI as root (CI runs as root), more ranks than
// cores, and no single-copy shared memory (not allowed in containers).
inline constexpr char kMpiEnvironment[] =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
    "OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none";

// `florenz ARGUMENTS` (FLORENZ_BIN, defined by the test's CMake target).
inline Result Florenz(const std::string& arguments) {
  return RunShell(std::string(FLORENZ_BIN) + " " + arguments);
}

inline std::string ReadBytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Final metrics less the wall-clock ones (evaluation_seconds, training_seconds).
inline std::map<std::string, double> WithoutTimes(std::map<std::string, double> metrics) {
  for (auto it = metrics.begin(); it != metrics.end();) {
    it = it->first.size() > 8 && it->first.compare(it->first.size() - 8, 8, "_seconds") == 0
             ? metrics.erase(it)
             : std::next(it);
  }
  return metrics;
}

}  // namespace florenz::e2e
