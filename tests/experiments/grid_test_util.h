// Shared by the grid tests: a small valid grid, and a loader that returns the error text.
#pragma once

#include <string>

#include "core/errors.h"
#include "experiments/grid_loader.h"

namespace florenz::testing {

// A valid grid, line by line, so tests can point at exact lines. Line 1 is "experiment:".
inline const char* kSmallGrid =
    "experiment:\n"                                    // 1
    "  name: small\n"                                  // 2
    "  seeds: [0]\n"                                   // 3
    "data:\n"                                          // 4
    "  image: symbolic\n"                              // 5
    "  languages: [en, de, es]\n"                      // 6
    "  coverage:\n"                                    // 7
    "    caption: {en: train, de: train, es: eval}\n"  // 8
    "    translate: {de: train, es: train}\n"          // 9
    "model:\n"                                         // 10
    "  vocab_size: 512\n"                              // 11
    "  sizes: [xs, s]\n"                               // 12
    "training:\n"                                      // 13
    "  budgets: [10k, 20k]\n"                          // 14
    "  batch_size: 64\n"                               // 15
    "  optimizer: {learning_rate: 1.0e-3}\n";          // 16

// The text of the ConfigError that loading `text` throws, or "" when it loads.
inline std::string LoadError(const std::string& text, const std::string& name = "bad.yaml") {
  try {
    LoadGridFromString(text, name);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// kSmallGrid with the first occurrence of `from` replaced by `to`.
inline std::string SmallGridWith(const std::string& from, const std::string& to) {
  std::string text = kSmallGrid;
  const size_t at = text.find(from);
  if (at == std::string::npos) return "<" + from + " not found in the small grid>";
  text.replace(at, from.size(), to);
  return text;
}

}  // namespace florenz::testing
