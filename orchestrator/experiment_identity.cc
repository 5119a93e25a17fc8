// ExperimentDifference: both specs with their axes and run options cleared, written as YAML and
// compared one top-level section at a time.
#include "orchestrator/experiment_identity.h"

#include <map>
#include <sstream>

#include "experiments/grid_axes.h"
#include "experiments/spec_writer.h"

namespace florenz {
namespace {

ExperimentSpec Identity(ExperimentSpec spec) {
  spec = WithoutAxisValues(std::move(spec));  // an axis may grow or shrink, like sizes
  spec.experiment.description.clear();
  spec.experiment.seeds.clear();
  spec.model.sizes.clear();
  spec.training.budgets.clear();
  spec.training.micro_batch_size = 0;  // memory, not the experiment
  spec.training.branching = false;     // how runs are trained, not what they compute
  spec.data.cache_dir.clear();         // where caches live, not what they hold
  spec.include.clear();
  spec.exclude.clear();
  spec.parallel = ParallelOptions{};
  spec.execution = ExecutionOptions{};
  return spec;
}

// Top-level key → its lines, from SpecToYaml's block YAML.
std::map<std::string, std::string> Sections(const std::string& yaml) {
  std::map<std::string, std::string> sections;
  std::istringstream in(yaml);
  std::string line, key;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != ' ' && line[0] != '#') key = line.substr(0, line.find(':'));
    sections[key] += line + "\n";
  }
  return sections;
}

}  // namespace

std::string ExperimentDifference(const ExperimentSpec& stored, const ExperimentSpec& current) {
  const auto a = Sections(SpecToYaml(Identity(stored)));
  const auto b = Sections(SpecToYaml(Identity(current)));
  std::string differ;
  auto add = [&](const std::string& key) { differ += (differ.empty() ? "" : ", ") + key; };
  for (const auto& [key, text] : a) {
    auto it = b.find(key);
    if (it == b.end() || it->second != text) add(key);
  }
  for (const auto& [key, text] : b) {
    if (!a.count(key)) add(key);
  }
  return differ;
}

}  // namespace florenz
