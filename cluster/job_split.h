// Splitting a grid's runs into K batch jobs of about equal cost, by each run's estimated
// training FLOPs (experiments/model_cost.h): longest-first onto the least loaded job, which is
// within 4/3 of the best split. With budget branching a trunk and its branches go to one job.
#pragma once

#include <vector>

#include "experiments/run_spec.h"

namespace florenz::cluster {

struct JobShare {
  std::vector<const RunSpec*> runs;  // in grid order
  double flops = 0;  // sum of the runs' training_flops (a branch's after its branch point)
};

// K shares, none empty; throws ConfigError when K < 1 or K exceeds the runs (the groups of a
// trunk and its branches, with branching; `what` names the flag or file in the message). Ties go to
// the lower job index, so the split is deterministic.
std::vector<JobShare> SplitByCost(const std::vector<RunSpec>& runs, int jobs,
                                  const std::string& what);

}  // namespace florenz::cluster
