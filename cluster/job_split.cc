// Longest-processing-time-first split of runs into jobs (see job_split.h).
#include "cluster/job_split.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "core/errors.h"

namespace florenz::cluster {
namespace {

// What a run trains itself, in FLOPs: a branch (training.branching) only after its branch point.
double TrainedFlops(const RunSpec& run) {
  if (run.trunk.empty()) return run.training_flops;
  return run.training_flops * static_cast<double>(run.TrainedSamples()) /
         static_cast<double>(std::max<int64_t>(1, run.samples()));
}

}  // namespace

std::vector<JobShare> SplitByCost(const std::vector<RunSpec>& runs, int jobs,
                                  const std::string& what) {
  // Units that go to one job whole: a trunk with its branches (a branch starts from its trunk's
  // checkpoint, which only a job that trains the trunk writes), or a run alone.
  std::map<std::string, size_t> by_id;
  for (size_t i = 0; i < runs.size(); ++i) by_id.emplace(runs[i].id, i);
  std::vector<std::vector<size_t>> units;
  std::vector<double> cost;
  std::map<size_t, size_t> unit_of_trunk;
  for (size_t i = 0; i < runs.size(); ++i) {
    auto trunk = by_id.find(runs[i].trunk);
    const size_t head = runs[i].trunk.empty() || trunk == by_id.end() ? i : trunk->second;
    auto [it, fresh] = unit_of_trunk.emplace(head, units.size());
    if (fresh) {
      units.emplace_back();
      cost.push_back(0);
    }
    units[it->second].push_back(i);
    cost[it->second] += TrainedFlops(runs[i]);
  }
  if (jobs < 1 || static_cast<size_t>(jobs) > units.size()) {
    const std::string grouped =
        units.size() < runs.size()
            ? " in " + std::to_string(units.size()) + " groups of a trunk and its branches"
            : "";
    throw ConfigError(SourceLocation{what, 0, 0},
                      "--jobs " + std::to_string(jobs) + ": give 1 to " +
                          std::to_string(units.size()) + " (the grid has " +
                          std::to_string(runs.size()) + " runs" + grouped + ")");
  }
  std::vector<size_t> order(units.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return cost[a] > cost[b]; });
  std::vector<JobShare> shares(jobs);
  std::vector<std::vector<size_t>> members(jobs);
  for (size_t unit : order) {
    size_t lightest = 0;
    for (size_t j = 1; j < shares.size(); ++j) {
      // An empty job first, so that every job gets a run even when costs are equal.
      const bool emptier = members[j].empty() && !members[lightest].empty();
      const bool lighter = members[j].empty() == members[lightest].empty() &&
                           shares[j].flops < shares[lightest].flops;
      if (emptier || lighter) lightest = j;
    }
    members[lightest].insert(members[lightest].end(), units[unit].begin(), units[unit].end());
    shares[lightest].flops += cost[unit];
  }
  for (size_t j = 0; j < shares.size(); ++j) {
    std::sort(members[j].begin(), members[j].end());
    for (size_t index : members[j]) shares[j].runs.push_back(&runs[index]);
  }
  return shares;
}

}  // namespace florenz::cluster
