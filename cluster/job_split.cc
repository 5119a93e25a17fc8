// Longest-processing-time-first split of runs into jobs (see job_split.h).
#include "cluster/job_split.h"

#include <algorithm>
#include <numeric>

#include "core/errors.h"

namespace florenz::cluster {

std::vector<JobShare> SplitByCost(const std::vector<RunSpec>& runs, int jobs,
                                  const std::string& what) {
  if (jobs < 1 || static_cast<size_t>(jobs) > runs.size()) {
    throw ConfigError(SourceLocation{what, 0, 0}, "--jobs " + std::to_string(jobs) +
                                                      ": give 1 to " + std::to_string(runs.size()) +
                                                      " (the grid has " +
                                                      std::to_string(runs.size()) + " runs)");
  }
  std::vector<size_t> order(runs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return runs[a].training_flops > runs[b].training_flops;
  });
  std::vector<JobShare> shares(jobs);
  std::vector<std::vector<size_t>> members(jobs);
  for (size_t index : order) {
    size_t lightest = 0;
    for (size_t j = 1; j < shares.size(); ++j) {
      // An empty job first, so that every job gets a run even when costs are equal.
      const bool emptier = members[j].empty() && !members[lightest].empty();
      const bool lighter = members[j].empty() == members[lightest].empty() &&
                           shares[j].flops < shares[lightest].flops;
      if (emptier || lighter) lightest = j;
    }
    members[lightest].push_back(index);
    shares[lightest].flops += runs[index].training_flops;
  }
  for (size_t j = 0; j < shares.size(); ++j) {
    std::sort(members[j].begin(), members[j].end());
    for (size_t index : members[j]) shares[j].runs.push_back(&runs[index]);
  }
  return shares;
}

}  // namespace florenz::cluster
