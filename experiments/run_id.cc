// Run ids: FNV-1a over the canonical flat form of a run's spec.
#include "experiments/run_id.h"

#include <cstdio>

#include "core/hash.h"
#include "experiments/spec_writer.h"

namespace florenz {
namespace {

// Settings that do not change what a run computes. Prefix match on the flat path.
bool IsOperational(const std::string& path) {
  static const char* const kPrefixes[] = {
      "experiment.name",
      "experiment.description",
      "parallel.",
      "execution.",
      "include",
      "exclude",
      // How a step's batch is cut into micro-batches changes memory, not the step.
      "training.micro_batch_size",
      // Branches compute the same bits as runs trained alone: how, not what.
      "training.branching",
      // Where a corpus's caches live changes no bit of what is read from them.
      "data.cache_dir",
      "model.sizes[0].name",
      "model.sizes[0].preset",
      "model.sizes[0].tensor_parallel",
      "model.sizes[0].data_parallel",
  };
  for (const char* prefix : kPrefixes) {
    if (path.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// The basis run ids were first hashed with (one digit short of FNV's): kept, so that every run
// id ever written stays the same.
constexpr uint64_t kRunIdBasis = 1469598103934665603ULL;

}  // namespace

std::string RunIdentityText(const ExperimentSpec& run) {
  std::string text;
  for (const auto& [path, value] : spec_io::Flattener::Flatten(run)) {
    if (IsOperational(path)) continue;
    text += path + " = " + value + "\n";
  }
  return text;
}

std::string MakeRunId(const ExperimentSpec& run, const std::string& axis_tag) {
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx",
                static_cast<unsigned long long>(Fnv1a64(RunIdentityText(run), kRunIdBasis)));
  return run.model.sizes.front().name + "-" + FormatCount(run.training.budgets.front()) + "-s" +
         std::to_string(run.experiment.seeds.front()) + "-" +
         (axis_tag.empty() ? "" : axis_tag + "-") + std::string(hash, 8);
}

std::string FormatCount(int64_t count) {
  if (count != 0 && count % 1000000000 == 0) return std::to_string(count / 1000000000) + "G";
  if (count != 0 && count % 1000000 == 0) return std::to_string(count / 1000000) + "M";
  if (count != 0 && count % 1000 == 0) return std::to_string(count / 1000) + "k";
  return std::to_string(count);
}

}  // namespace florenz
