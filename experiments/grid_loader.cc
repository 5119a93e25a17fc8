// Grid loading (see grid_loader.h).
#include "experiments/grid_loader.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "experiments/grid_expansion.h"
#include "experiments/spec_reader.h"
#include "experiments/spec_validation.h"

namespace florenz {
namespace {

// yaml-cpp recurses once per nesting level, so a hostile file of a million '[' would
// overflow the stack. Bound the nesting before parsing: flow brackets, block indentation
// and compact "- - -" / "a: b: c" chains on one line.
int NestingEstimate(const std::string& text) {
  int worst = 0, brackets = 0;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t indent = line.find_first_not_of(' ');
    int inline_levels = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      const char ch = line[i];
      if (ch == '[' || ch == '{') ++brackets;
      if ((ch == ']' || ch == '}') && brackets > 0) --brackets;
      if ((ch == '-' || ch == '?' || ch == ':') && (i + 1 == line.size() || line[i + 1] == ' ')) {
        ++inline_levels;
      }
      worst = std::max(worst, brackets);
    }
    const int block = indent == std::string::npos ? 0 : static_cast<int>(indent) / 2;
    worst = std::max(worst, block + inline_levels + brackets);
  }
  return worst;
}

}  // namespace

LoadedGrid LoadGridFromString(const std::string& text, const std::string& name,
                              const GridCheck& extra_check) {
  if (text.size() > kMaxGridBytes) {
    throw ConfigError(SourceLocation{name, 0, 0},
                      "grid file is larger than " + std::to_string(kMaxGridBytes) + " bytes");
  }
  if (NestingEstimate(text) > kMaxGridNesting) {
    throw ConfigError(SourceLocation{name, 0, 0},
                      "grid file nests deeper than " + std::to_string(kMaxGridNesting) + " levels");
  }
  const YAML::Node root = LoadYamlMapping(
      text, name, "the grid file is empty",
      "expected a mapping with experiment, data, model, training, ... at the top level");

  LoadedGrid grid;
  grid.file = name;
  Diagnostics problems;
  SpecLocations where(name);
  SpecReader reader(name, &problems, &where);
  reader.Read(root, grid.spec, "");
  problems.ThrowIfAny();
  ResolveAndValidate(grid.spec, where, &problems);
  problems.ThrowIfAny();
  if (extra_check) {
    extra_check(grid.spec, where, &problems);
    problems.ThrowIfAny();
  }

  const int64_t count = GridRunCount(grid.spec);
  if (count > kMaxGridRuns) {
    const ExperimentSpec& g = grid.spec;
    throw ConfigError(where.Of(g.experiment.seeds).line > 0 ? where.Of(g.experiment.seeds)
                                                            : SourceLocation{name, 0, 0},
                      "the grid expands to " + std::to_string(count) + " runs (" +
                          std::to_string(g.model.sizes.size()) + " sizes × " +
                          std::to_string(g.training.budgets.size()) + " budgets × " +
                          std::to_string(g.experiment.seeds.size()) +
                          " seeds + includes); one "
                          "grid holds at most " +
                          std::to_string(kMaxGridRuns) +
                          " runs: split it into several grids and results folders");
  }
  grid.runs = ExpandGrid(grid.spec);
  if (grid.runs.empty()) {
    const SourceLocation at =
        grid.spec.exclude.empty() ? where.Of(grid.spec.model.sizes) : where.Of(grid.spec.exclude);
    throw ConfigError(at, "the grid is empty: `exclude` removes every run");
  }
  return grid;
}

LoadedGrid LoadGrid(const std::string& path, const GridCheck& extra_check) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(SourceLocation{path, 0, 0}, "cannot open the grid file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(SourceLocation{path, 0, 0}, "cannot read the grid file");
  return LoadGridFromString(text.str(), path, extra_check);
}

}  // namespace florenz
