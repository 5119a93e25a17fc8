// libFuzzer target over florenz's grid loading: parse, map, validate and expand arbitrary
// bytes. A bad grid must end in a ConfigError — never a crash, a hang, a leak or undefined
// behaviour. Run by `make test` (CTest label `fuzz`) for 60 s from the shipped grids.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/errors.h"
#include "experiments/grid_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const florenz::LoadedGrid grid = florenz::LoadGridFromString(text, "fuzz.yaml");
    if (grid.runs.empty()) __builtin_trap();  // the loader promises a non-empty grid
  } catch (const florenz::ConfigError&) {
    // Expected for almost every input.
  }
  return 0;
}
