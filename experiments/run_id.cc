// Run ids: FNV-1a over the canonical flat form of a run's spec.
#include "experiments/run_id.h"

#include <cstdio>
#include <utility>

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

namespace {

std::string IdFromHash(const std::string& size, int64_t budget, int64_t seed,
                       const std::string& axis_tag, uint64_t identity_hash) {
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(identity_hash));
  return size + "-" + FormatCount(budget) + "-s" + std::to_string(seed) + "-" +
         (axis_tag.empty() ? "" : axis_tag + "-") + std::string(hash, 8);
}

ExperimentSpec WithBudgetAndSeed(ExperimentSpec run, int64_t budget, int64_t seed) {
  run.training.budgets = {budget};
  run.experiment.seeds = {seed};
  return run;
}

constexpr char kSeedPath[] = "experiment.seeds[0]";
constexpr char kBudgetPath[] = "training.budgets[0]";
// Markers no grid has as its defaults.
constexpr int64_t kMarkerBudget = 7919000000007;
constexpr int64_t kMarkerSeed = 6997000000013;

}  // namespace

std::string MakeRunId(const ExperimentSpec& run, const std::string& axis_tag) {
  return IdFromHash(run.model.sizes.front().name, run.training.budgets.front(),
                    run.experiment.seeds.front(), axis_tag,
                    Fnv1a64(RunIdentityText(run), kRunIdBasis));
}

RunIdMaker::RunIdMaker(const ExperimentSpec& run, std::string axis_tag)
    : run_(run), tag_(std::move(axis_tag)) {
  const ExperimentSpec defaults;
  seed_has_default_ = !defaults.experiment.seeds.empty();
  if (seed_has_default_) default_seed_ = defaults.experiment.seeds.front();
  budget_has_default_ = !defaults.training.budgets.empty();
  if (budget_has_default_) default_budget_ = defaults.training.budgets.front();

  int slots = 0;
  bool markers_found = true;
  for (const auto& [path, value] :
       spec_io::Flattener::Flatten(WithBudgetAndSeed(run_, kMarkerBudget, kMarkerSeed))) {
    if (IsOperational(path)) continue;
    const bool seed = path == kSeedPath, budget = path == kBudgetPath;
    if (seed || budget) {
      markers_found &= value == std::to_string(seed ? kMarkerSeed : kMarkerBudget);
      if (slots == 0) seed_first_ = seed;
      ++slots;
      continue;
    }
    if (slots < 3) pieces_[slots] += path + " = " + value + "\n";
  }
  hash_after_first_piece_ = Fnv1a64(pieces_[0], kRunIdBasis);
  fast_ = markers_found && slots == 2;
  // Probes: the run's own budget and seed, the defaults' and their neighbours.
  const int64_t budget = run_.training.budgets.front(), seed = run_.experiment.seeds.front();
  for (const auto& [b, s] : {std::pair<int64_t, int64_t>{budget, seed},
                             {budget, default_seed_},
                             {budget + 1, default_seed_ + 1},
                             {default_budget_ + 64, seed}}) {
    if (!fast_) break;
    fast_ = FastId(b, s) == MakeRunId(WithBudgetAndSeed(run_, b, s), tag_);
  }
}

std::string RunIdMaker::FastId(int64_t budget, int64_t seed) const {
  const auto line = [](const char* path, int64_t value) {
    return std::string(path) + " = " + std::to_string(value) + "\n";
  };
  const bool seed_line = !(seed_has_default_ && seed == default_seed_);
  const bool budget_line = !(budget_has_default_ && budget == default_budget_);
  uint64_t hash = hash_after_first_piece_;
  const auto first = [&] {
    if (seed_first_ ? seed_line : budget_line) {
      hash = Fnv1a64(seed_first_ ? line(kSeedPath, seed) : line(kBudgetPath, budget), hash);
    }
  };
  const auto second = [&] {
    if (seed_first_ ? budget_line : seed_line) {
      hash = Fnv1a64(seed_first_ ? line(kBudgetPath, budget) : line(kSeedPath, seed), hash);
    }
  };
  first();
  hash = Fnv1a64(pieces_[1], hash);
  second();
  hash = Fnv1a64(pieces_[2], hash);
  return IdFromHash(run_.model.sizes.front().name, budget, seed, tag_, hash);
}

std::string RunIdMaker::Id(int64_t budget, int64_t seed) const {
  if (fast_) return FastId(budget, seed);
  return MakeRunId(WithBudgetAndSeed(run_, budget, seed), tag_);
}

std::string FormatCount(int64_t count) {
  if (count != 0 && count % 1000000000 == 0) return std::to_string(count / 1000000000) + "G";
  if (count != 0 && count % 1000000 == 0) return std::to_string(count / 1000000) + "M";
  if (count != 0 && count % 1000 == 0) return std::to_string(count / 1000) + "k";
  return std::to_string(count);
}

}  // namespace florenz
