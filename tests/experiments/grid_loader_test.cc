// Loading and expanding valid grids, including the grids shipped in experiments/grids/.
#include "experiments/grid_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "tests/experiments/grid_test_util.h"

namespace florenz {
namespace {

using testing::kSmallGrid;
using testing::LoadError;
using testing::SmallGridWith;

TEST(GridLoaderTest, LoadsTheSmallGridIntoSizesTimesBudgetsTimesSeeds) {
  const LoadedGrid grid = LoadGridFromString(kSmallGrid, "small.yaml");
  ASSERT_EQ(grid.runs.size(), 4u);
  EXPECT_EQ(grid.runs[0].size().name, "xs");
  EXPECT_EQ(grid.runs[0].samples(), 10000);
  EXPECT_EQ(grid.runs[1].samples(), 20000);
  EXPECT_EQ(grid.runs[2].size().name, "s");
  EXPECT_EQ(grid.runs[0].size().d_model, 32);
  EXPECT_EQ(grid.runs[2].size().d_model, 64);
  EXPECT_EQ(grid.runs[0].ranks(), 1);
  EXPECT_DOUBLE_EQ(grid.spec.training.optimizer.learning_rate, 1e-3);
  EXPECT_EQ(grid.spec.data.coverage.at(Task::kCaption).at("es"), PairRole::kEval);
  EXPECT_EQ(grid.spec.data.languages[1].name, "de");
  EXPECT_EQ(grid.spec.data.languages[1].genders, 3);
}

TEST(GridLoaderTest, ShippedGridsLoad) {
  for (const char* name : {"quickstart", "florenz_cpu", "florenz_paper"}) {
    const std::string path =
        std::string(FLORENZ_SOURCE_DIR) + "/experiments/grids/" + name + ".yaml";
    EXPECT_NO_THROW({
      const LoadedGrid grid = LoadGrid(path);
      EXPECT_FALSE(grid.runs.empty());
    }) << path;
  }
}

TEST(GridLoaderTest, PaperGridIsFourSizesTimesFourBudgetsWithTheirLayouts) {
  const LoadedGrid grid =
      LoadGrid(std::string(FLORENZ_SOURCE_DIR) + "/experiments/grids/florenz_paper.yaml");
  ASSERT_EQ(grid.runs.size(), 16u);
  EXPECT_EQ(grid.runs.front().samples(), 512000);
  EXPECT_EQ(grid.runs.back().samples(), 10240000);
  EXPECT_EQ(grid.runs.back().size().name, "gpu-1b");
  EXPECT_EQ(grid.runs.back().tp, 4);
  EXPECT_EQ(grid.runs.back().dp, 8);
  EXPECT_EQ(grid.runs.back().ranks(), 32);
  EXPECT_GT(grid.runs.back().cost.params, 900000000);
}

TEST(GridLoaderTest, CpuStudyHasFiveSizesSevenBudgetsThreeRatesAndTwoSeeds) {
  // The study's design (issue #18, docs/study/README.md): at least 5 sizes, 6 budgets per size
  // branching off one trunk, a learning-rate axis of 3 values and 2 seeds in every cell.
  const LoadedGrid grid =
      LoadGrid(std::string(FLORENZ_SOURCE_DIR) + "/experiments/grids/florenz_cpu.yaml");
  int64_t min_params = INT64_MAX, max_params = 0, min_samples = INT64_MAX, max_samples = 0;
  std::map<std::string, std::set<std::string>> cells;  // size-budget-seed -> rates
  for (const auto& run : grid.runs) {
    min_params = std::min(min_params, run.cost.non_embedding_params);
    max_params = std::max(max_params, run.cost.non_embedding_params);
    min_samples = std::min(min_samples, run.samples());
    max_samples = std::max(max_samples, run.samples());
    ASSERT_EQ(run.axis_values.size(), 1u);
    cells[run.size().name + "-" + std::to_string(run.samples()) + "-" + std::to_string(run.seed())]
        .insert(run.axis_values[0].second);
  }
  EXPECT_GE(max_params, 40 * min_params);
  EXPECT_GE(max_samples, 8 * min_samples);
  EXPECT_EQ(grid.spec.model.sizes.size(), 5u);
  EXPECT_EQ(grid.spec.training.budgets.size(), 7u);
  EXPECT_TRUE(grid.spec.training.branching);
  EXPECT_EQ(cells.size(), 5u * 7u * 2u);
  for (const auto& [cell, rates] : cells) EXPECT_EQ(rates.size(), 3u) << cell;
  EXPECT_EQ(grid.runs.size(), 210u);
  const LoadedGrid variant =
      LoadGrid(std::string(FLORENZ_SOURCE_DIR) + "/experiments/grids/florenz_cpu_textonly.yaml");
  EXPECT_FALSE(variant.spec.data.translate_with_image);
  EXPECT_EQ(variant.runs.size(), 18u);
  // The variant trains at the main grid's middle rate, so its runs compare one to one.
  EXPECT_EQ(variant.spec.training.optimizer.learning_rate, 2e-3);
  EXPECT_EQ(grid.spec.axes[0].values[1], "0.002");
}

TEST(GridLoaderTest, SizesCanOverridePresetsOrGiveEveryDimension) {
  const LoadedGrid grid = LoadGridFromString(
      SmallGridWith("  sizes: [xs, s]\n",
                    "  sizes:\n"
                    "    - {preset: m, name: m-deep, layers: 6}\n"
                    "    - {name: tiny, d_model: 16, encoder_layers: 1, decoder_layers: 2,\n"
                    "       heads: 2, ffn: 32}\n"),
      "s.yaml");
  ASSERT_EQ(grid.spec.model.sizes.size(), 2u);
  const ModelSize& deep = grid.spec.model.sizes[0];
  EXPECT_EQ(deep.name, "m-deep");
  EXPECT_EQ(deep.d_model, 128);
  EXPECT_EQ(deep.encoder_layers, 6);
  EXPECT_EQ(deep.decoder_layers, 6);
  const ModelSize& tiny = grid.spec.model.sizes[1];
  EXPECT_EQ(tiny.encoder_layers, 1);
  EXPECT_EQ(tiny.decoder_layers, 2);
}

TEST(GridLoaderTest, LanguagesCanOverridePresetsAndDefineNewOnes) {
  const LoadedGrid grid = LoadGridFromString(
      SmallGridWith(
          "  languages: [en, de, es]\n",
          "  languages:\n"
          "    - en\n"
          "    - {preset: de, adjective_position: after}\n"
          "    - {name: es, relation_order: postposition, genders: 2, lexicon_seed: 9}\n"),
      "l.yaml");
  const auto& languages = grid.spec.data.languages;
  ASSERT_EQ(languages.size(), 3u);
  EXPECT_EQ(languages[1].name, "de");
  EXPECT_EQ(languages[1].adjective_position, AdjectivePosition::kAfter);
  EXPECT_EQ(languages[1].case_marking, CaseMarking::kSuffix);  // kept from the preset
  EXPECT_EQ(languages[2].relation_order, RelationOrder::kPostposition);
  EXPECT_EQ(languages[2].lexicon_seed, 9);
  EXPECT_TRUE(languages[2].preset.empty());
}

TEST(GridLoaderTest, IncludeAndExcludeShapeTheGrid) {
  std::string text = kSmallGrid;
  text +=
      "include:\n"
      "  - {size: s, budget: 80k}\n"
      "exclude:\n"
      "  - {size: xs, budget: 20k}\n";
  const LoadedGrid grid = LoadGridFromString(text, "ie.yaml");
  ASSERT_EQ(grid.runs.size(), 4u);  // 4 - 1 excluded + 1 included
  for (const auto& run : grid.runs) {
    EXPECT_FALSE(run.size().name == "xs" && run.samples() == 20000);
  }
  EXPECT_EQ(grid.runs.back().size().name, "s");
  EXPECT_EQ(grid.runs.back().samples(), 80000);
}

TEST(GridLoaderTest, SeedsMultiplyRunsAndParallelDefaultsApplyToEverySize) {
  std::string text = SmallGridWith("  seeds: [0]\n", "  seeds: [0, 1, 2]\n");
  text += "parallel: {data_parallel: 2}\n";
  const LoadedGrid grid = LoadGridFromString(text, "p.yaml");
  EXPECT_EQ(grid.runs.size(), 12u);
  for (const auto& run : grid.runs) EXPECT_EQ(run.ranks(), 2);
}

TEST(GridLoaderTest, MissingFileIsAConfigErrorNamingIt) {
  try {
    LoadGrid("/nonexistent/grid.yaml");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/grid.yaml"), std::string::npos);
  }
}

// A grid's runs share its spec: 100,000 runs (4 sizes × 25,000 seeds) add far less than the
// 1 GB the issue allows (before: each run carried its own copy, 3.3 GB for 20,000 seeds).
TEST(GridLoaderTest, AHundredThousandRunsShareOneSpec) {
  std::string seeds;
  for (int i = 0; i < 25000; ++i) seeds += (i ? "," : "") + std::to_string(i);
  const std::string text =
      "experiment: {name: many, seeds: [" + seeds +
      "]}\n"
      "data: {languages: [en, de], coverage: {caption: {en: train, de: eval}, translate: {de: "
      "train}}}\n"
      "model: {sizes: [xs, s, m, l]}\n"
      "training: {budgets: [10k]}\n";
  auto resident_kb = [] {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0L;
  };
  const long before = resident_kb();
  const LoadedGrid grid = LoadGridFromString(text, "many.yaml");
  ASSERT_EQ(grid.runs.size(), 100000u);
  EXPECT_LT(resident_kb() - before, 1024L * 1024) << "kB added by 100,000 runs";
  EXPECT_EQ(grid.runs[0].grid.get(), grid.runs[99999].grid.get());
  // The one-run spec is still there when asked for, and is the run's own.
  const ExperimentSpec one = grid.runs[12345].Spec();
  ASSERT_EQ(one.experiment.seeds.size(), 1u);
  EXPECT_EQ(one.experiment.seeds[0], grid.runs[12345].seed());
  EXPECT_EQ(one.model.sizes.at(0).name, grid.runs[12345].size().name);
}

// More runs than one grid may hold (1,000,000) are refused before expanding, with the counts.
TEST(GridLoaderTest, AGridPastTheRunLimitIsRefused) {
  std::string seeds;
  for (int i = 0; i < 62501; ++i) seeds += (i ? "," : "") + std::to_string(i);
  const std::string text =
      "experiment: {name: too-many, seeds: [" + seeds +
      "]}\n"
      "data: {languages: [en, de], coverage: {caption: {en: train, de: eval}, translate: {de: "
      "train}}}\n"
      "model: {sizes: [xs, s, m, l]}\n"
      "training: {budgets: [10k, 20k, 40k, 80k]}\n";
  try {
    LoadGridFromString(text, "too_many.yaml");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("too_many.yaml:1:"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr(
                              "the grid expands to 1000016 runs (4 sizes × 4 budgets × 62501 "
                              "seeds + includes); one grid holds at most 1000000 runs"));
  }
}

}  // namespace
}  // namespace florenz
