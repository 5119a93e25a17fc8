// Samples per second of the data pipeline on one core: scene generation, rendering (or the
// symbolic attribute vectors) and tokenization — DataGenerator::TrainExample, exactly what a
// training step consumes. Target: >= 20,000 samples/s. (The fraction of a training step of
// the smallest preset is added once training exists.)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "experiments/grid_loader.h"
#include "workers/data/data_check.h"
#include "workers/data/data_generator.h"

namespace {

std::string Grid(const std::string& image, int size) {
  return "experiment: {name: bench}\n"
         "data:\n"
         "  image: " +
         image +
         "\n"
         "  image_size: " +
         std::to_string(size) +
         "\n"
         "  image_noise: 0.1\n"
         "  max_objects: 2\n" +
         std::string(florenz::bench::kSixLanguages) +
         "  ambiguous_words: [bat, bow]\n"
         "model: {sizes: [xs]}\n"
         "training: {budgets: [1k]}\n";
}

double SamplesPerSecond(const florenz::data::DataGenerator& data, int n, int64_t* checksum) {
  std::vector<double> rates;
  for (int repeat = 0; repeat < 5; ++repeat) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      const auto e = data.TrainExample(repeat, i);
      *checksum += e.target.size() + e.image.size();
    }
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rates.push_back(n / s);
  }
  std::sort(rates.begin(), rates.end());
  return rates[2];
}

}  // namespace

int main() {
  int64_t checksum = 0;
  std::printf("data_throughput: DataGenerator::TrainExample on one core, median of 5 x 20000\n");
  for (const auto& [image, size] : std::vector<std::pair<std::string, int>>{
           {"symbolic", 32}, {"rendered", 32}, {"rendered", 64}}) {
    const auto grid =
        florenz::LoadGridFromString(Grid(image, size), "bench.yaml", florenz::data::CheckDataSpec);
    const florenz::data::DataGenerator data(grid.spec);
    const double rate = SamplesPerSecond(data, 20000, &checksum);
    std::printf("  %-8s %3d px: %8.0f samples/s  (%.1f us/sample)\n", image.c_str(), size, rate,
                1e6 / rate);
  }
  std::printf("  (checksum %lld)\n", static_cast<long long>(checksum));
  return 0;
}
