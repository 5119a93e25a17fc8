// What the vision side of a sample costs on one core: rendering a scene to a 32- and 64-pixel
// image, and the symbolic features of the cheap mode. The data pipeline's budget is 50 µs a
// sample (≥ 20,000 samples/s) for generate + render + tokenize; scene generation is timed too.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "bench/bench_util.h"
#include "workers/data/image.h"
#include "workers/data/scene.h"

namespace {

using florenz::data::SampleRng;
using florenz::data::Split;

using florenz::bench::MedianSeconds;

void Report(const char* what, double seconds, int count) {
  std::printf("  %-34s %8.2f µs/sample  %10.0f samples/s\n", what, 1e6 * seconds / count,
              count / seconds);
}

}  // namespace

int main() {
  constexpr int kCount = 20000;
  constexpr int kRepeats = 5;
  florenz::data::SceneOptions options;
  options.min_objects = 1;
  options.max_objects = 2;
  for (int s = 0; s < florenz::data::kShapes; ++s) {
    options.shapes.push_back(static_cast<florenz::data::Shape>(s));
  }

  std::vector<florenz::data::Scene> scenes(kCount);
  const double generate_s = MedianSeconds(kRepeats, [&] {
    for (int i = 0; i < kCount; ++i) {
      SampleRng rng(1, Split::kTrain, i);
      scenes[i] = florenz::data::GenerateScene(options, rng);
    }
  });

  // The checksum keeps the compiler from dropping the work.
  double checksum = 0;
  auto render = [&](int size) {
    return MedianSeconds(kRepeats, [&] {
      for (int i = 0; i < kCount; ++i) {
        SampleRng rng(1, Split::kTrain, i, 1);
        checksum += florenz::data::RenderImage(scenes[i], size, 0.05, rng)[size];
      }
    });
  };
  const double render32_s = render(32);
  const double render64_s = render(64);
  const double symbolic_s = MedianSeconds(kRepeats, [&] {
    for (int i = 0; i < kCount; ++i) {
      SampleRng rng(1, Split::kTrain, i, 1);
      checksum += florenz::data::SymbolicFeatures(scenes[i], 0.3, rng)[0];
    }
  });

  std::printf("data_render: %d scenes of 1-2 objects, all 10 shapes, one core, median of %d\n",
              kCount, kRepeats);
  Report("GenerateScene (for scale)", generate_s, kCount);
  Report("RenderImage 32 px, noise 0.05", render32_s, kCount);
  Report("RenderImage 64 px, noise 0.05", render64_s, kCount);
  Report("SymbolicFeatures, noise 0.3", symbolic_s, kCount);
  std::printf("  (checksum %.3f)\n", checksum);
  return 0;
}
