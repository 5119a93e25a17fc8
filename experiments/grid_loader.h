// Loading a grid file: YAML -> ExperimentSpec (one key to one member) -> resolved and
// validated -> expanded into runs. Every problem is a ConfigError whose lines read
// "FILE:LINE:COLUMN: message"; the CLI turns it into exit code 2.
#pragma once

#include <string>
#include <vector>

#include "experiments/experiment_spec.h"
#include "experiments/run_spec.h"

namespace florenz {

struct LoadedGrid {
  std::string file;
  ExperimentSpec spec;        // resolved: sizes carry their dimensions and layout
  std::vector<RunSpec> runs;  // never empty
};

// Reads and checks the grid at `path`. Throws ConfigError (bad or unreadable grid).
LoadedGrid LoadGrid(const std::string& path);

// Same, from text; `name` stands for the file in messages.
LoadedGrid LoadGridFromString(const std::string& text, const std::string& name);

// Largest grid file accepted, and deepest nesting (protects the YAML parser's recursion).
constexpr size_t kMaxGridBytes = 4 << 20;
constexpr int kMaxGridNesting = 64;

}  // namespace florenz
