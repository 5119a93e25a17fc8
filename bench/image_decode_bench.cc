// bench/image_decode_bench: a corpus image to the model's input on one core — JPEG decode
// (libjpeg-turbo) at the smallest DCT scale that covers the target, centre crop, box filter to
// 64 px — against the same without DCT scaling (full-size decode, then the filter), side by
// side, for a real photograph (tests/data/photos/rocket.jpg, 640 × 427, 112 KB: 3.3 bits a
// pixel), the same photo re-encoded at quality 75, and enlarged to 1280 × 854 and 1920 × 1281
// (as CC12M images often are), and its centre square as a PNG, at 427 and enlarged to 1281 px
// (for PNGs the first column is the row-by-row decode into the box filter, the second the
// whole image decoded, then filtered).
// Target (issue 17): >= 1,000 samples/s at 64 px on one core. Figures: docs/performance.md.
//
// Usage: bench_image_decode [--size S] [--seconds T]
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "bench/bench_util.h"
#include "workers/data/png_writer.h"
#include "workers/data/shards/image_decode.h"

namespace {

using florenz::data::ImageKind;
using florenz::data::RgbImage;

// `image` scaled by an integer factor (nearest neighbour): a larger JPEG of the same content.
RgbImage Enlarge(const RgbImage& image, int factor) {
  RgbImage big;
  big.width = image.width * factor;
  big.height = image.height * factor;
  big.pixels.resize(static_cast<size_t>(big.width) * big.height * 3);
  for (int y = 0; y < big.height; ++y) {
    for (int x = 0; x < big.width; ++x) {
      for (int c = 0; c < 3; ++c) {
        big.pixels[(static_cast<size_t>(y) * big.width + x) * 3 + c] =
            image.pixels[(static_cast<size_t>(y / factor) * image.width + x / factor) * 3 + c];
      }
    }
  }
  return big;
}

// Samples per second of `decode` over `seconds` of repetitions (median of 5 rounds).
template <class F>
double Rate(double seconds, F&& decode) {
  int per_round = 1;
  while (florenz::bench::MedianSeconds(1, [&] {
           for (int i = 0; i < per_round; ++i) decode();
         }) < seconds / 5) {
    per_round *= 2;
  }
  const double t = florenz::bench::MedianSeconds(5, [&] {
    for (int i = 0; i < per_round; ++i) decode();
  });
  return per_round / t;
}

}  // namespace

int main(int argc, char** argv) {
  int size = 64;
  double seconds = 2.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--size") size = std::stoi(argv[i + 1]);
    if (flag == "--seconds") seconds = std::stod(argv[i + 1]);
  }
  std::ifstream in(std::string(FLORENZ_SOURCE_DIR) + "/tests/data/photos/rocket.jpg",
                   std::ios::binary);
  std::stringstream photo;
  photo << in.rdbuf();
  const RgbImage rocket = florenz::data::DecodeImage(ImageKind::kJpeg, photo.str(), 0, "rocket");
  struct Input {
    std::string name;
    ImageKind kind;
    std::string bytes;
  };
  std::vector<float> chw = florenz::data::SquareResize(rocket, rocket.height);
  const Input inputs[] = {
      {"rocket.jpg 640x427 (the file)", ImageKind::kJpeg, photo.str()},
      {"rocket 640x427 JPEG q75", ImageKind::kJpeg, florenz::data::EncodeJpeg(rocket, 75)},
      {"rocket 1280x854 JPEG q90", ImageKind::kJpeg,
       florenz::data::EncodeJpeg(Enlarge(rocket, 2), 90)},
      {"rocket 1920x1281 JPEG q90", ImageKind::kJpeg,
       florenz::data::EncodeJpeg(Enlarge(rocket, 3), 90)},
      {"rocket 427x427 PNG", ImageKind::kPng, florenz::data::EncodePng(chw, rocket.height, 1)},
      {"rocket 1281x1281 PNG", ImageKind::kPng,
       florenz::data::EncodePng(florenz::data::SquareResize(Enlarge(rocket, 3), 1281), 1281, 1)},
  };
  std::printf("image -> %d px, one core, samples/s (median of 5 rounds of ~%.1f s)\n", size,
              seconds / 5);
  std::printf("  %-32s %14s %14s %8s\n", "input", "DCT-scaled", "full decode", "ratio");
  for (const Input& input : inputs) {
    const double scaled = Rate(
        seconds, [&] { florenz::data::DecodeAndResize(input.kind, input.bytes, size, "bench"); });
    const double full = Rate(seconds, [&] {
      florenz::data::SquareResize(florenz::data::DecodeImage(input.kind, input.bytes, 0, "bench"),
                                  size);
    });
    std::printf("  %-32s %14.0f %14.0f %7.2fx  (%zu KB)\n", input.name.c_str(), scaled, full,
                scaled / full, input.bytes.size() / 1024);
  }
  return 0;
}
