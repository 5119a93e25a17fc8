// How fast a grid is loaded, validated and expanded into runs with their ids and costs:
// the orchestrator does this at every start, and `florenz simulate` on grids of 10,000 runs.
// Baseline in the same run: parsing the same YAML with yaml-cpp alone (no mapping, no checks).
// Then the memory side (issue 20): a grid of 100,000 runs (4 sizes × 25,000 seeds), its time
// and the resident memory it adds (the runs share the grid's spec).
#include <sys/resource.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "experiments/grid_loader.h"

namespace {

std::string BigGrid(int sizes, int budgets) {
  std::string text =
      "experiment: {name: big, seeds: [0]}\n"
      "data:\n" +
      std::string(florenz::bench::kSixLanguages) + "model:\n  sizes:\n";
  for (int i = 0; i < sizes; ++i) {
    text += "    - {name: d" + std::to_string(i) + ", d_model: " + std::to_string(32 + 8 * i) +
            ", layers: 2, heads: 4, ffn: " + std::to_string(4 * (32 + 8 * i)) + "}\n";
  }
  text += "training:\n  batch_size: 64\n  budgets: [";
  for (int j = 0; j < budgets; ++j) text += (j ? ", " : "") + std::to_string(1000 * (j + 1));
  return text + "]\n";
}

// Resident memory now (kB), from /proc/self/status.
long ResidentKb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

std::string SeedGrid(int sizes, int seeds) {
  std::string text = BigGrid(sizes, 1);
  text.replace(text.find("seeds: [0]"), 10, "seeds: [");
  std::string list;
  for (int i = 0; i < seeds; ++i) list += (i ? "," : "") + std::to_string(i);
  text.insert(text.find("seeds: [") + 8, list + "]");
  return text;
}

using florenz::bench::MedianSeconds;

}  // namespace

int main() {
  const std::string text = BigGrid(100, 100);
  size_t runs = 0;
  const double florenz_s =
      MedianSeconds(5, [&] { runs = florenz::LoadGridFromString(text, "big.yaml").runs.size(); });
  const double yaml_s = MedianSeconds(5, [&] { YAML::Load(text); });
  std::printf("grid_expansion: %zu runs (100 sizes x 100 budgets), median of 5\n", runs);
  std::printf("  florenz load+validate+expand: %.3f s  (%.0f runs/s)\n", florenz_s,
              runs / florenz_s);
  std::printf("  baseline yaml-cpp parse only: %.4f s\n", yaml_s);

  const std::string seeds = SeedGrid(4, 25000);
  const long before_kb = ResidentKb();
  const auto start = std::chrono::steady_clock::now();
  const florenz::LoadedGrid big = florenz::LoadGridFromString(seeds, "seeds.yaml");
  const double big_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("  %zu runs (4 sizes x 25,000 seeds): %.2f s, resident %+.0f MB now, peak %.0f MB\n",
              big.runs.size(), big_s, (ResidentKb() - before_kb) / 1024.0,
              usage.ru_maxrss / 1024.0);
  return 0;
}
