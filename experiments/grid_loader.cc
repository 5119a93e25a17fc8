// Grid loading (see grid_loader.h).
#include "experiments/grid_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "experiments/grid_axes.h"
#include "experiments/grid_expansion.h"
#include "experiments/spec_reader.h"
#include "experiments/spec_validation.h"

namespace florenz {
namespace {

// yaml-cpp recurses once per nesting level, so a hostile file of a million '[' would
// overflow the stack. Bound the nesting before parsing: flow brackets, block indentation
// and compact "- - -" / "a: b: c" chains on one line.
// `where` gets the line and column at which the estimate first passes `limit`.
int NestingEstimate(const std::string& text, int limit, SourceLocation* where) {
  int worst = 0, brackets = 0, line_number = 0;
  auto note = [&](int depth, size_t column) {
    if (depth > limit && where->line == 0) {
      where->line = line_number;
      where->column = static_cast<int>(column) + 1;
    }
    worst = std::max(worst, depth);
  };
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    ++line_number;
    const size_t indent = line.find_first_not_of(' ');
    int inline_levels = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      const char ch = line[i];
      if (ch == '[' || ch == '{') ++brackets;
      if ((ch == ']' || ch == '}') && brackets > 0) --brackets;
      if ((ch == '-' || ch == '?' || ch == ':') && (i + 1 == line.size() || line[i + 1] == ' ')) {
        ++inline_levels;
      }
      note(brackets, i);
    }
    const int block = indent == std::string::npos ? 0 : static_cast<int>(indent) / 2;
    note(block + inline_levels + brackets, line.empty() ? 0 : line.size() - 1);
  }
  return worst;
}

// Every combination of the grid's axis values read and validated as a grid of its own (so a
// bad value is reported at its line), then the axes and the include / exclude entries' axis
// values attached to `spec` — the grid read at the first value of every axis.
void ReadAxes(YAML::Node root, const std::string& name, AxesInYaml& found, ExperimentSpec& spec) {
  Diagnostics problems;
  const int64_t combinations = AxisCombinations(found.axes);
  if (combinations > kMaxAxisCombinations) {
    throw ConfigError(SourceLocation{name, found.value_nodes[0][0].Mark().line + 1, 0},
                      "the hyperparameter axes combine to more than " +
                          std::to_string(kMaxAxisCombinations) +
                          " settings; one grid holds at most that many");
  }
  // Each value as the spec writes it, from the combinations that hold it.
  std::vector<std::vector<std::string>> canonical(found.axes.size());
  for (size_t a = 0; a < found.axes.size(); ++a) {
    canonical[a].resize(found.axes[a].values.size());
  }
  for (int64_t c = 0; c < combinations; ++c) {
    const std::vector<size_t> point = AxisPoint(found.axes, c);
    SetAxisPoint(found, point);
    ExperimentSpec one;
    SpecLocations where(name);
    SpecReader reader(name, &problems, &where);
    reader.Read(root, one, "");
    problems.ThrowIfAny();
    ResolveAndValidate(one, where, &problems);
    problems.ThrowIfAny();
    for (size_t a = 0; a < found.axes.size(); ++a) {
      ScalarText(one, found.axes[a].path, &canonical[a][point[a]]);
    }
  }
  SetAxisPoint(found, std::vector<size_t>(found.axes.size(), 0));
  for (size_t a = 0; a < found.axes.size(); ++a) {
    for (size_t i = 0; i < canonical[a].size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (canonical[a][i] == canonical[a][j]) {
          const YAML::Mark mark = found.value_nodes[a][i].Mark();
          problems.Error(SourceLocation{name, mark.line + 1, mark.column + 1},
                         found.axes[a].path + ": " + canonical[a][i] + " is listed twice");
        }
      }
    }
    found.axes[a].values = canonical[a];
  }
  problems.ThrowIfAny();
  spec.axes = found.axes;
  // An include / exclude entry's axis value must be one of the axis's values.
  auto attach = [&](const std::vector<std::map<std::string, YAML::Node>>& taken,
                    std::vector<RunSelector>& selectors, const char* list) {
    for (size_t i = 0; i < taken.size() && i < selectors.size(); ++i) {
      for (const auto& [named, node] : taken[i]) {
        const std::string key = named;  // a lambda cannot capture a structured binding (C++17)
        const GridAxis& axis = *std::find_if(spec.axes.begin(), spec.axes.end(),
                                             [&](const GridAxis& g) { return g.key == key; });
        ExperimentSpec probe = spec;
        ReadScalarAt(probe, axis.path, node, name, &problems);
        std::string value;
        ScalarText(probe, axis.path, &value);
        if (std::find(axis.values.begin(), axis.values.end(), value) == axis.values.end()) {
          std::string known;
          for (const std::string& v : axis.values) known += (known.empty() ? "" : ", ") + v;
          const YAML::Mark mark = node.Mark();
          problems.Error(SourceLocation{name, mark.line + 1, mark.column + 1},
                         std::string(list) + "[" + std::to_string(i) + "]." + key + ": " + value +
                             " is not a value of the axis " + axis.path + " (" + known + ")");
        }
        selectors[i].axis_values[key] = value;
      }
    }
  };
  attach(found.include_values, spec.include, "include");
  attach(found.exclude_values, spec.exclude, "exclude");
  problems.ThrowIfAny();
}

}  // namespace

LoadedGrid LoadGridFromString(const std::string& text, const std::string& name,
                              const GridCheck& extra_check) {
  if (text.size() > kMaxGridBytes) {
    throw ConfigError(SourceLocation{name, 0, 0},
                      "grid file is larger than " + std::to_string(kMaxGridBytes) + " bytes");
  }
  SourceLocation deepest{name, 0, 0};  // where the nesting first passes the limit
  if (NestingEstimate(text, kMaxGridNesting, &deepest) > kMaxGridNesting) {
    throw ConfigError(deepest,
                      "grid file nests deeper than " + std::to_string(kMaxGridNesting) + " levels");
  }
  LoadedGrid grid;
  grid.file = name;
  SourceLocation empty_at{name, 0, 0};  // where "the grid is empty" points
  {
    const YAML::Node root = LoadYamlMapping(
        text, name, "the grid file is empty",
        "expected a mapping with experiment, data, model, training, ... at the top level");
    Diagnostics problems;
    AxesInYaml axes = FindAxes(root, name, &problems);
    problems.ThrowIfAny();
    if (!axes.axes.empty()) SetAxisPoint(axes, std::vector<size_t>(axes.axes.size(), 0));
    SpecLocations where(name);
    SpecReader reader(name, &problems, &where);
    reader.Read(root, grid.spec, "");
    problems.ThrowIfAny();
    ResolveAndValidate(grid.spec, where, &problems);
    problems.ThrowIfAny();
    if (!axes.axes.empty()) ReadAxes(root, name, axes, grid.spec);
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
                            std::to_string(g.experiment.seeds.size()) + " seeds + includes" +
                            (g.axes.empty() ? std::string()
                                            : ", × " + std::to_string(AxisCombinations(g.axes)) +
                                                  " hyperparameter settings") +
                            "); one "
                            "grid holds at most " +
                            std::to_string(kMaxGridRuns) +
                            " runs: split it into several grids and results folders");
    }
    empty_at =
        grid.spec.exclude.empty() ? where.Of(grid.spec.model.sizes) : where.Of(grid.spec.exclude);
  }  // The YAML tree and its locations go before the runs are made (1,000,000 runs: ~100 MB).
  grid.runs = ExpandGrid(grid.spec);
  if (grid.runs.empty())
    throw ConfigError(empty_at, "the grid is empty: `exclude` removes every run");
  return grid;
}

LoadedGrid LoadGrid(const std::string& path, const GridCheck& extra_check) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(SourceLocation{path, 0, 0}, "cannot open the grid file");
  // At most one byte past the limit: a stream without end (/dev/zero, a FIFO) is refused after
  // 4 MiB instead of read whole.
  std::string text(kMaxGridBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw ConfigError(SourceLocation{path, 0, 0}, "cannot read the grid file");
  text.resize(static_cast<size_t>(in.gcount()));
  return LoadGridFromString(text, path, extra_check);
}

}  // namespace florenz
