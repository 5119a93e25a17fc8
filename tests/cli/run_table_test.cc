// The run table's formatting.
#include "cli/run_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/experiments/grid_test_util.h"

namespace florenz {
namespace {

using ::testing::HasSubstr;

TEST(RunTableTest, TextTableHasARowPerRunAndTheCoverage) {
  const LoadedGrid grid = LoadGridFromString(testing::kSmallGrid, "small.yaml");
  const std::string text = RunTableText(grid);
  EXPECT_THAT(text,
              HasSubstr("small.yaml: experiment 'small', 4 runs (2 sizes x 2 budgets x 1 seed)"));
  EXPECT_THAT(text, HasSubstr("caption:   trained [de en], evaluation-only [es]"));
  EXPECT_THAT(text, HasSubstr("translate: trained [de es], evaluation-only []"));
  for (const auto& run : grid.runs) EXPECT_THAT(text, HasSubstr(run.id));
  EXPECT_THAT(text, HasSubstr("76.6k"));  // xs parameters with a 512-word vocabulary
  EXPECT_THAT(text, HasSubstr("59.5k"));  // xs non-embedding parameters
}

TEST(RunTableTest, JsonEscapesAndListsEveryField) {
  const LoadedGrid grid = LoadGridFromString(testing::kSmallGrid, "dir/\"quoted\".yaml");
  const std::string json = RunTableJson(grid);
  EXPECT_THAT(json, HasSubstr("\"file\": \"dir/\\\"quoted\\\".yaml\""));
  EXPECT_THAT(json, HasSubstr("\"non_embedding_params\": 59520"));
  EXPECT_THAT(json, HasSubstr("\"samples\": 10000"));
  EXPECT_THAT(json, HasSubstr("\"tensor_parallel\": 1"));
}

TEST(RunTableTest, AnAxisIsCountedListedAndInTheJson) {
  const LoadedGrid grid = LoadGridFromString(
      testing::SmallGridWith("learning_rate: 1.0e-3", "learning_rate: [1.0e-3, 2e-3]"),
      "axes.yaml");
  const std::string text = RunTableText(grid);
  EXPECT_THAT(text, HasSubstr("8 runs (2 sizes x 2 budgets x 1 seed x 2 learning_rate values)"));
  EXPECT_THAT(text, HasSubstr("hyperparameter axis training.optimizer.learning_rate: [0.001, "
                              "0.002] (run ids: lr<value>)"));
  EXPECT_THAT(RunTableJson(grid), HasSubstr("\"learning_rate\": \"0.002\""));
}

}  // namespace
}  // namespace florenz
