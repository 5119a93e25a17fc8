// Loading a grid file: YAML -> ExperimentSpec (one key to one member) -> resolved and
// validated -> expanded into runs. Every problem is a ConfigError whose lines read
// "FILE:LINE:COLUMN: message"; the CLI turns it into exit code 2.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "experiments/experiment_spec.h"
#include "experiments/run_spec.h"
#include "experiments/spec_locations.h"

namespace florenz {

struct LoadedGrid {
  std::string file;
  ExperimentSpec spec;        // resolved: sizes carry their dimensions and layout
  std::vector<RunSpec> runs;  // never empty
};

// A check that a module outside experiments/ adds to loading — the data generator's, which
// knows vocabularies and caption lengths. It runs on a spec that passed every check of
// experiments/, and reports problems at the grid's positions through `where`.
using GridCheck =
    std::function<void(const ExperimentSpec& spec, const SpecLocations& where, Diagnostics*)>;

// Reads and checks the grid at `path`. Throws ConfigError (bad or unreadable grid).
LoadedGrid LoadGrid(const std::string& path, const GridCheck& extra_check = {});

// Same, from text; `name` stands for the file in messages.
LoadedGrid LoadGridFromString(const std::string& text, const std::string& name,
                              const GridCheck& extra_check = {});

// Largest grid file accepted, and deepest nesting (protects the YAML parser's recursion).
constexpr size_t kMaxGridBytes = 4 << 20;
constexpr int kMaxGridNesting = 64;

}  // namespace florenz
