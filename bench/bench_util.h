// What the benchmarks share: the median of repeated timings, and the data section of their
// grids with the paper's six languages (captioning trained in En and De, evaluated in Es and Zh;
// translation En→X trained for every other language).
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace florenz::bench {

// The median wall-clock seconds of `repeats` calls of `body`.
template <class F>
double MedianSeconds(int repeats, F&& body) {
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    body();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// The `languages` and `coverage` lines of a grid's `data:` section (two-space indented).
inline constexpr char kSixLanguages[] =
    "  languages: [en, de, fr, es, ru, zh]\n"
    "  coverage:\n"
    "    caption: {en: train, de: train, es: eval, zh: eval}\n"
    "    translate: {de: train, fr: train, es: train, ru: train, zh: train}\n";

}  // namespace florenz::bench
