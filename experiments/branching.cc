// Budget branching (branching.h).
#include "experiments/branching.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace florenz {

int64_t TrainingSteps(const TrainingOptions& training, int64_t samples) {
  return std::max<int64_t>(1, samples / training.batch_size);
}

int64_t WarmupSteps(const TrainingOptions& training, int64_t total_steps) {
  const ScheduleOptions& schedule = training.schedule;
  total_steps = std::max<int64_t>(1, total_steps);
  const double warmup_samples =
      schedule.warmup_samples > 0
          ? static_cast<double>(schedule.warmup_samples)
          : schedule.warmup_fraction * static_cast<double>(total_steps) * training.batch_size;
  const int64_t steps = std::min<int64_t>(
      total_steps - 1, static_cast<int64_t>(std::ceil(warmup_samples / training.batch_size)));
  return std::max<int64_t>(0, steps);
}

int64_t WsdDecayStartStep(const TrainingOptions& training, int64_t total_steps) {
  total_steps = std::max<int64_t>(1, total_steps);
  const int64_t decay = std::max<int64_t>(
      1, static_cast<int64_t>(std::round(training.schedule.decay_fraction * total_steps)));
  return std::max(WarmupSteps(training, total_steps), total_steps - decay);
}

int64_t RunSpec::TrainedSamples() const {
  if (trunk.empty()) return budget;
  return budget - branch_step * spec().training.batch_size;
}

void LinkBranches(std::vector<RunSpec>& runs) {
  LinkBranches(runs.data(), runs.data() + runs.size());
}

void LinkBranches(RunSpec* first, RunSpec* last) {
  RunSpec* runs = first;
  const size_t count = static_cast<size_t>(last - first);
  std::map<std::tuple<std::string, int64_t>, std::vector<size_t>> groups;
  for (size_t i = 0; i < count; ++i) {
    if (!runs[i].spec().training.branching) continue;
    groups[{runs[i].size().name, runs[i].seed()}].push_back(i);
  }
  for (auto& [key, members] : groups) {
    std::sort(members.begin(), members.end(),
              [&](size_t a, size_t b) { return runs[a].budget < runs[b].budget; });
    RunSpec& trunk = runs[members.back()];
    const TrainingOptions t = trunk.Training();  // its size's warm-up
    for (size_t k = 0; k + 1 < members.size(); ++k) {
      RunSpec& branch = runs[members[k]];
      const int64_t step = WsdDecayStartStep(t, TrainingSteps(t, branch.budget));
      if (step < 1) continue;  // decays from its first step: nothing to share
      branch.trunk = trunk.id;
      branch.branch_step = step;
      trunk.branches.emplace_back(branch.id, step);
    }
  }
}

BranchingSavings TrainedSamples(const std::vector<RunSpec>& runs) {
  BranchingSavings savings;
  for (const RunSpec& run : runs) {
    savings.with_branching += run.TrainedSamples();
    savings.without_branching += run.budget;
  }
  return savings;
}

}  // namespace florenz
