// A results folder keeps its experiment while the grid grows or shrinks along its axes or
// changes how it runs; any other change is another experiment, named by section.
#include "orchestrator/experiment_identity.h"

#include <gtest/gtest.h>

namespace florenz {
namespace {

ExperimentSpec Base() {
  ExperimentSpec spec;
  spec.experiment.name = "e";
  spec.training.budgets = {1000, 2000};
  spec.training.batch_size = 32;
  ModelSize size;
  size.name = "a";
  size.d_model = 16;
  spec.model.sizes = {size};
  return spec;
}

TEST(ExperimentIdentityTest, AxesAndRunOptionsKeepTheExperiment) {
  ExperimentSpec grown = Base();
  grown.training.budgets.push_back(4000);
  grown.experiment.seeds = {0, 1};
  ModelSize b = grown.model.sizes[0];
  b.name = "b";
  b.d_model = 32;
  grown.model.sizes.push_back(b);
  grown.parallel.data_parallel = 2;
  grown.execution.retries = 5;
  grown.experiment.description = "now with more runs";
  grown.data.cache_dir = "/scratch/florenz-cache";  // where caches live, not what they hold
  EXPECT_EQ(ExperimentDifference(Base(), grown), "");
}

TEST(ExperimentIdentityTest, OtherChangesNameTheirSections) {
  ExperimentSpec other = Base();
  other.training.batch_size = 16;
  EXPECT_EQ(ExperimentDifference(Base(), other), "training");
  other.data.max_caption_tokens += 1;
  EXPECT_EQ(ExperimentDifference(Base(), other), "data, training");
}

}  // namespace
}  // namespace florenz
