// Hyperparameter axes (see grid_axes.h).
#include "experiments/grid_axes.h"

#include <stdexcept>

#include "experiments/spec_reader.h"
#include "experiments/spec_writer.h"

namespace florenz {
namespace {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? dot : dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

SourceLocation Where(const std::string& file, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return SourceLocation{file, 0, 0};
  return SourceLocation{file, mark.line + 1, mark.column + 1};
}

// Short names in run ids; any other key is its own tag.
std::string TagOf(const std::string& key) {
  static const std::map<std::string, std::string> kTags = {{"learning_rate", "lr"},
                                                           {"weight_decay", "wd"},
                                                           {"beta1", "b1"},
                                                           {"beta2", "b2"},
                                                           {"epsilon", "eps"},
                                                           {"kind", ""},
                                                           {"warmup_fraction", "wf"},
                                                           {"warmup_samples", "ws"},
                                                           {"min_lr_ratio", "minlr"},
                                                           {"decay_fraction", "decay"},
                                                           {"learning_rate_scale", "lrs"},
                                                           {"warmup_samples_per_param", "wspp"}};
  const auto it = kTags.find(key);
  return it == kTags.end() ? key : it->second;
}

// Walks VisitFields to the scalar at `target`.
class ScalarFinder {
 public:
  ScalarFinder(std::string prefix, const std::string& target, std::string* text, bool* found)
      : prefix_(std::move(prefix)), target_(target), text_(text), found_(found) {}

  template <class T>
  void operator()(const char* key, T& member) {
    const std::string path = prefix_.empty() ? std::string(key) : prefix_ + "." + key;
    if constexpr (spec_traits::HasFields<T>::value) {
      if (target_.rfind(path + ".", 0) == 0) {
        ScalarFinder inner(path, target_, text_, found_);
        member.VisitFields(inner);
      }
    } else if constexpr (!spec_traits::IsVector<T>::value && !spec_traits::IsMap<T>::value) {
      if (path == target_) {
        *text_ = spec_io::YamlWriter::ScalarText(member);
        *found_ = true;
      }
    }
  }

 private:
  std::string prefix_;
  const std::string& target_;
  std::string* text_;
  bool* found_;
};

// Takes the axis keys out of each entry of `list` (include or exclude).
std::vector<std::map<std::string, YAML::Node>> TakeSelectorValues(
    YAML::Node list, const std::vector<GridAxis>& axes) {
  std::vector<std::map<std::string, YAML::Node>> taken;
  if (!list.IsSequence()) return taken;
  for (size_t i = 0; i < list.size(); ++i) {
    YAML::Node entry = list[i];
    std::map<std::string, YAML::Node> values;
    if (entry.IsMap()) {
      for (const GridAxis& axis : axes) {
        if (entry[axis.key]) {
          values.emplace(axis.key, entry[axis.key]);
          entry.remove(axis.key);
        }
      }
    }
    taken.push_back(std::move(values));
  }
  return taken;
}

}  // namespace

AxesInYaml FindAxes(YAML::Node root, const std::string& file, Diagnostics* problems) {
  AxesInYaml found;
  for (const char* section_path : kAxisSections) {
    YAML::Node section = root;
    for (const std::string& part : SplitPath(section_path)) {
      // Node::reset rebinds the handle; `=` would overwrite the node it refers to.
      if (!section.IsMap() || !section[part]) {
        section.reset(YAML::Node());
        break;
      }
      section.reset(section[part]);
    }
    if (!section.IsDefined() || !section.IsMap()) continue;
    for (auto it = section.begin(); it != section.end(); ++it) {
      if (!it->first.IsScalar() || !it->second.IsSequence()) continue;
      const std::string key = it->first.Scalar();
      GridAxis axis;
      axis.path = std::string(section_path) + "." + key;
      axis.key = key;
      axis.tag = TagOf(key);
      std::vector<YAML::Node> nodes;
      bool scalars = true;
      for (size_t i = 0; i < it->second.size(); ++i) {
        const YAML::Node value = it->second[i];
        if (!value.IsScalar()) {
          problems->Error(Where(file, value), axis.path +
                                                  ": a hyperparameter axis lists scalars, one "
                                                  "per value; this entry is not a scalar");
          scalars = false;
          continue;
        }
        axis.values.push_back(value.Scalar());
        nodes.push_back(value);
      }
      if (scalars && nodes.empty()) {
        problems->Error(Where(file, it->second),
                        axis.path + ": an empty list; give one value or a list of values");
        continue;
      }
      if (!scalars) continue;
      found.axes.push_back(std::move(axis));
      found.value_nodes.push_back(std::move(nodes));
      found.parents.push_back(section);
    }
  }
  if (found.axes.empty()) return found;
  found.include_values = TakeSelectorValues(root["include"], found.axes);
  found.exclude_values = TakeSelectorValues(root["exclude"], found.axes);
  return found;
}

void SetAxisPoint(AxesInYaml& found, const std::vector<size_t>& point) {
  for (size_t a = 0; a < found.axes.size(); ++a) {
    found.parents[a][found.axes[a].key] = found.value_nodes[a][point[a]];
  }
}

int64_t AxisCombinations(const std::vector<GridAxis>& axes) {
  int64_t count = 1;
  for (const GridAxis& axis : axes) {
    count *= static_cast<int64_t>(axis.values.size());
    if (count > kMaxAxisCombinations) return count;  // no overflow, however many axes
  }
  return count;
}

std::vector<size_t> AxisPoint(const std::vector<GridAxis>& axes, int64_t index) {
  std::vector<size_t> point(axes.size(), 0);
  for (size_t a = axes.size(); a-- > 0;) {
    const auto n = static_cast<int64_t>(axes[a].values.size());
    point[a] = static_cast<size_t>(index % n);
    index /= n;
  }
  return point;
}

bool ScalarText(const ExperimentSpec& spec, const std::string& path, std::string* text) {
  bool found = false;
  ScalarFinder finder("", path, text, &found);
  const_cast<ExperimentSpec&>(spec).VisitFields(finder);
  return found;
}

void ReadScalarAt(ExperimentSpec& spec, const std::string& path, const YAML::Node& value,
                  const std::string& file, Diagnostics* problems) {
  const std::vector<std::string> parts = SplitPath(path);
  YAML::Node root(YAML::NodeType::Map);
  YAML::Node at = root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    at[parts[i]] = YAML::Node(YAML::NodeType::Map);
    at.reset(at[parts[i]]);
  }
  at[parts.back()] = value;
  SpecLocations ignored(file);
  SpecReader reader(file, problems, &ignored);
  reader.Read(root, spec, "");
}

ExperimentSpec AtAxisPoint(const ExperimentSpec& grid, const std::vector<size_t>& point) {
  ExperimentSpec spec = grid;
  spec.axes.clear();
  Diagnostics problems;
  for (size_t a = 0; a < grid.axes.size(); ++a) {
    ReadScalarAt(spec, grid.axes[a].path, YAML::Node(grid.axes[a].values[point[a]]), "", &problems);
  }
  if (!problems.empty()) {  // the loader validated every value: a bug if this happens
    throw std::logic_error("AtAxisPoint: an axis value does not read back: " +
                           problems.messages().front());
  }
  auto matching = [&](std::vector<RunSelector> selectors) {
    std::vector<RunSelector> kept;
    for (RunSelector& selector : selectors) {
      bool matches = true;
      for (size_t a = 0; a < grid.axes.size(); ++a) {
        const auto it = selector.axis_values.find(grid.axes[a].key);
        if (it != selector.axis_values.end() && it->second != grid.axes[a].values[point[a]]) {
          matches = false;
        }
      }
      if (!matches) continue;
      selector.axis_values.clear();
      kept.push_back(std::move(selector));
    }
    return kept;
  };
  spec.include = matching(grid.include);
  spec.exclude = matching(grid.exclude);
  return spec;
}

std::string AxisIdTag(const std::vector<GridAxis>& axes, const std::vector<size_t>& point) {
  std::string tag;
  for (size_t a = 0; a < axes.size(); ++a) {
    std::string value;
    for (const char c : axes[a].values[point[a]]) {
      const bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                         (c >= 'A' && c <= 'Z') || c == '.' || c == '+' || c == '-';
      value += plain ? c : '_';
    }
    tag += (tag.empty() ? "" : "-") + axes[a].tag + value;
  }
  return tag;
}

ExperimentSpec WithoutAxisValues(ExperimentSpec spec) {
  const ExperimentSpec defaults;
  Diagnostics problems;
  for (const GridAxis& axis : spec.axes) {
    std::string text;
    if (ScalarText(defaults, axis.path, &text)) {
      ReadScalarAt(spec, axis.path, YAML::Node(text), "", &problems);
    }
  }
  spec.axes.clear();
  for (RunSelector& s : spec.include) s.axis_values.clear();
  for (RunSelector& s : spec.exclude) s.axis_values.clear();
  return spec;
}

std::string WriteAxes(const ExperimentSpec& spec, const std::string& yaml) {
  if (spec.axes.empty()) return yaml;
  YAML::Node root = YAML::Load(yaml);
  for (const GridAxis& axis : spec.axes) {
    YAML::Node at = root;
    const std::vector<std::string> parts = SplitPath(axis.path);
    for (size_t i = 0; i + 1 < parts.size(); ++i) at.reset(at[parts[i]]);
    YAML::Node list(YAML::NodeType::Sequence);
    list.SetStyle(YAML::EmitterStyle::Flow);
    for (const std::string& value : axis.values) list.push_back(value);
    at[parts.back()] = list;
  }
  auto write_selectors = [&](const char* key, const std::vector<RunSelector>& selectors) {
    for (size_t i = 0; i < selectors.size(); ++i) {
      for (const auto& [axis_key, value] : selectors[i].axis_values) {
        root[key][i][axis_key] = value;
      }
    }
  };
  write_selectors("include", spec.include);
  write_selectors("exclude", spec.exclude);
  YAML::Emitter out;
  out.SetIndent(2);
  out << root;
  return std::string(out.c_str()) + "\n";
}

}  // namespace florenz
