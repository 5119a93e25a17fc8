// `florenz validate` of very large grids (issue 27 item 9): the real program, as a user runs it,
// on grids of 100,000 and 1,000,000 runs (4 sizes × 25,000 / 250,000 seeds), its run table
// written to /dev/null. Reported: wall time and the child's peak resident memory (wait4's
// ru_maxrss). Baseline in the same run: yaml-cpp parsing the same grid text alone, in this
// process (time and the resident memory it adds) — the floor any loader of that YAML pays.
// Targets: 1,000,000 runs in ≤ 60 s and ≤ 600 MB.
//   bench_validate [--runs-per-size N]...   (default: 25000 250000)
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/bench_util.h"

namespace {

// 4 sizes × 1 budget × `seeds` seeds.
std::string SeedGrid(int seeds) {
  std::string text = "experiment: {name: big, seeds: [";
  text.reserve(static_cast<size_t>(seeds) * 8 + 4096);
  for (int i = 0; i < seeds; ++i) {
    if (i) text += ",";
    text += std::to_string(i);
  }
  text += "]}\ndata:\n" + std::string(florenz::bench::kSixLanguages) + "model:\n  sizes:\n";
  for (int i = 0; i < 4; ++i) {
    text += "    - {name: d" + std::to_string(i) + ", d_model: " + std::to_string(32 + 8 * i) +
            ", layers: 2, heads: 4, ffn: " + std::to_string(4 * (32 + 8 * i)) + "}\n";
  }
  return text + "training:\n  batch_size: 64\n  budgets: [1000]\n";
}

long ResidentKb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

struct ChildRun {
  double seconds = 0;
  long peak_kb = 0;
  int status = -1;
};

// `florenz validate grid`, stdout to /dev/null.
ChildRun Validate(const std::string& grid) {
  ChildRun r;
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    execl(FLORENZ_BIN, FLORENZ_BIN, "validate", grid.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  struct rusage usage {};
  wait4(pid, &r.status, 0, &usage);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.peak_kb = usage.ru_maxrss;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> seed_counts;
  for (int i = 1; i + 1 < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs-per-size")) seed_counts.push_back(std::atoi(argv[++i]));
  }
  if (seed_counts.empty()) seed_counts = {25000, 250000};
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("florenz_bench_validate_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::printf("validate: florenz validate GRID > /dev/null (4 sizes x N seeds), one run each\n");
  std::printf("  %10s %12s %14s | %22s %18s\n", "runs", "florenz s", "florenz peak MB",
              "baseline yaml-cpp s", "yaml-cpp +MB");
  for (const int seeds : seed_counts) {
    const std::string text = SeedGrid(seeds);
    const std::string grid = (dir / ("grid-" + std::to_string(seeds) + ".yaml")).string();
    std::ofstream(grid) << text;
    const ChildRun run = Validate(grid);
    if (!WIFEXITED(run.status) || WEXITSTATUS(run.status) != 0) {
      std::fprintf(stderr, "florenz validate %s failed (status %d)\n", grid.c_str(), run.status);
      return 1;
    }
    const long before_kb = ResidentKb();
    const auto start = std::chrono::steady_clock::now();
    long during_kb = 0;
    {
      const YAML::Node node = YAML::Load(text);
      during_kb = ResidentKb();
    }
    const double yaml_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("  %10d %12.2f %14.0f | %22.2f %18.0f\n", 4 * seeds, run.seconds,
                run.peak_kb / 1024.0, yaml_s, (during_kb - before_kb) / 1024.0);
    std::fflush(stdout);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
