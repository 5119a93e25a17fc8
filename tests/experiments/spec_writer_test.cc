// What SpecToYaml writes loads back into the same grid: the resolved experiment.yaml and a
// run's /config spec are grids themselves.
#include "experiments/spec_writer.h"

#include <gtest/gtest.h>

#include "experiments/grid_loader.h"
#include "tests/experiments/grid_test_util.h"

namespace florenz {
namespace {

TEST(SpecWriterTest, FormatsNumbersShortestFirst) {
  EXPECT_EQ(FormatNumber(0.001), "0.001");
  EXPECT_EQ(FormatNumber(0.1), "0.1");
  EXPECT_EQ(FormatNumber(1.0), "1.0");
  EXPECT_EQ(FormatNumber(1e-8), "1e-08");
  EXPECT_EQ(FormatNumber(1.0 / 3.0), "0.3333333333333333");
}

TEST(SpecWriterTest, ResolvedSpecLoadsBackToTheSameRuns) {
  for (const char* name : {"quickstart", "florenz_cpu", "florenz_paper"}) {
    const LoadedGrid grid =
        LoadGrid(std::string(FLORENZ_SOURCE_DIR) + "/experiments/grids/" + name + ".yaml");
    const std::string yaml = SpecToYaml(grid.spec);
    const LoadedGrid again = LoadGridFromString(yaml, "resolved.yaml");
    ASSERT_EQ(again.runs.size(), grid.runs.size()) << name;
    for (size_t i = 0; i < grid.runs.size(); ++i) {
      EXPECT_EQ(again.runs[i].id, grid.runs[i].id) << name;
      EXPECT_EQ(again.runs[i].ranks(), grid.runs[i].ranks()) << name;
    }
    EXPECT_EQ(SpecToYaml(again.spec), yaml) << name;
  }
}

TEST(SpecWriterTest, ARunsSpecIsAGridOfThatOneRun) {
  const LoadedGrid grid = LoadGridFromString(testing::kSmallGrid, "small.yaml");
  for (const auto& run : grid.runs) {
    const LoadedGrid single = LoadGridFromString(SpecToYaml(run.Spec()), "run.yaml");
    ASSERT_EQ(single.runs.size(), 1u);
    EXPECT_EQ(single.runs[0].id, run.id);
  }
}

}  // namespace
}  // namespace florenz
