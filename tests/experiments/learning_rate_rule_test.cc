// Learning-rate rules: each size's peak rate and warm-up from the grid's rule, scale and
// warm-up per parameter; defaults that keep every run id; errors at the grid's line.
#include "experiments/learning_rate_rule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "experiments/branching.h"
#include "experiments/grid_loader.h"
#include "tests/experiments/grid_test_util.h"

namespace florenz {
namespace {

using ::testing::HasSubstr;
using testing::LoadError;
using testing::SmallGridWith;

// kSmallGrid (sizes xs: d_model 32, s: d_model 64) with `optimizer` for its optimizer line.
std::string WithOptimizer(const std::string& optimizer) {
  return SmallGridWith("  optimizer: {learning_rate: 1.0e-3}\n",
                       "  optimizer: " + optimizer + "\n");
}

std::map<std::string, const RunSpec*> BySizeAndTag(const LoadedGrid& grid) {
  std::map<std::string, const RunSpec*> runs;
  for (const RunSpec& run : grid.runs) {
    if (run.samples() != 10000) continue;
    std::string axes;
    for (const auto& [key, value] : run.axis_values) axes += "/" + value;
    runs[run.size().name + axes] = &run;
  }
  return runs;
}

TEST(LearningRateRuleTest, TheDefaultRuleIsTheLearningRateToTheBit) {
  const LoadedGrid grid = LoadGridFromString(testing::kSmallGrid, "g.yaml");
  for (const RunSpec& run : grid.runs) {
    const TrainingOptions t = run.Training();
    EXPECT_EQ(t.optimizer.learning_rate, 1.0e-3) << run.id;  // exact, no pow on the way
    EXPECT_EQ(t.schedule.warmup_samples, 0) << run.id;
  }
}

TEST(LearningRateRuleTest, APowerRuleScalesTheRateWithTheWidth) {
  const LoadedGrid grid = LoadGridFromString(
      WithOptimizer("{learning_rate: 4.0e-3, learning_rate_rule: {kind: power, base_width: 32, "
                    "exponent: -1.5}}"),
      "g.yaml");
  const auto runs = BySizeAndTag(grid);
  EXPECT_DOUBLE_EQ(runs.at("xs")->Training().optimizer.learning_rate, 4.0e-3);  // d_model 32
  EXPECT_DOUBLE_EQ(runs.at("s")->Training().optimizer.learning_rate,
                   4.0e-3 * std::pow(2.0, -1.5));  // d_model 64
  // What a run's /config holds is the grid's rule, not the resolved rate: it loads back as a
  // grid of one run and resolves to the same rate.
  EXPECT_EQ(runs.at("s")->Spec().training.optimizer.learning_rate, 4.0e-3);
}

TEST(LearningRateRuleTest, AScaleAxisMultipliesEachSizesRate) {
  const LoadedGrid grid = LoadGridFromString(
      WithOptimizer("{learning_rate: 2.0e-3, learning_rate_scale: [0.5, 1, 2],\n"
                    "               learning_rate_rule: {kind: power, base_width: 64, exponent: "
                    "-1}}"),
      "g.yaml");
  ASSERT_EQ(grid.runs.size(), 2u * 2u * 3u);  // sizes × budgets × scales
  const auto runs = BySizeAndTag(grid);
  const std::map<std::string, double> expected = {{"xs/0.5", 2.0e-3}, {"xs/1.0", 4.0e-3},
                                                  {"xs/2.0", 8.0e-3}, {"s/0.5", 1.0e-3},
                                                  {"s/1.0", 2.0e-3},  {"s/2.0", 4.0e-3}};
  for (const auto& [key, rate] : expected) {
    ASSERT_TRUE(runs.count(key)) << key;
    EXPECT_DOUBLE_EQ(runs.at(key)->Training().optimizer.learning_rate, rate) << key;
  }
  EXPECT_EQ(runs.at("s/0.5")->id.rfind("s-10k-s0-lrs0.5-", 0), 0u) << runs.at("s/0.5")->id;
}

TEST(LearningRateRuleTest, WarmupPerParameterIsEachSizesOwn) {
  const LoadedGrid grid =
      LoadGridFromString(SmallGridWith("batch_size: 64",
                                       "batch_size: 64\n  schedule: {warmup_samples_per_param: "
                                       "0.01}"),
                         "g.yaml");
  for (const RunSpec& run : grid.runs) {
    EXPECT_EQ(run.Training().schedule.warmup_samples,
              std::llround(0.01 * static_cast<double>(run.cost.non_embedding_params)))
        << run.id;
    EXPECT_GT(run.Training().schedule.warmup_samples, 0) << run.id;
  }
}

TEST(LearningRateRuleTest, BranchesStartWhereTheirSizesWarmupPutsThem) {
  // wsd with a warm-up of 0.02 samples per parameter: each size's trunk writes its branches'
  // checkpoints at its own schedule's decay start.
  const LoadedGrid grid =
      LoadGridFromString(SmallGridWith("batch_size: 64",
                                       "batch_size: 64\n  branching: true\n  schedule: {kind: "
                                       "wsd, warmup_samples_per_param: 0.02}"),
                         "g.yaml");
  int branches = 0;
  for (const RunSpec& run : grid.runs) {
    if (run.trunk.empty()) continue;
    const TrainingOptions t = run.Training();
    EXPECT_EQ(run.branch_step, WsdDecayStartStep(t, TrainingSteps(t, run.samples()))) << run.id;
    ++branches;
  }
  EXPECT_EQ(branches, 2);  // the 10k run of each size
}

TEST(LearningRateRuleTest, DefaultsWrittenOutKeepEveryRunId) {
  const auto ids = [](const std::string& text) {
    std::map<std::string, std::string> out;
    for (const RunSpec& run : LoadGridFromString(text, "g.yaml").runs) {
      out[run.size().name + "/" + std::to_string(run.samples())] = run.id;
    }
    return out;
  };
  const auto base = ids(testing::kSmallGrid);
  EXPECT_EQ(ids(WithOptimizer("{learning_rate: 1.0e-3, learning_rate_scale: 1, "
                              "learning_rate_rule: {kind: constant}}")),
            base);
  EXPECT_EQ(ids(SmallGridWith("batch_size: 64",
                              "batch_size: 64\n  schedule: {warmup_samples_per_param: 0}")),
            base);
  const auto power = ids(WithOptimizer(
      "{learning_rate: 1.0e-3, learning_rate_rule: {kind: power, base_width: 32, exponent: -1}}"));
  // Even where the rule gives the same rate (xs is the base width), the rule is in the id:
  // the run computes the same, but its grid says something else and ids follow the grid.
  EXPECT_NE(power.at("s/10000"), base.at("s/10000"));
  EXPECT_NE(ids(WithOptimizer("{learning_rate: 1.0e-3, learning_rate_scale: 2}")).at("xs/10000"),
            base.at("xs/10000"));
}

TEST(LearningRateRuleTest, ABadRuleIsRefusedAtItsLine) {
  EXPECT_THAT(LoadError(WithOptimizer("{learning_rate_rule: {kind: power, exponent: -1}}")),
              HasSubstr("bad.yaml:16:35: training.optimizer.learning_rate_rule: a power rule "
                        "needs base_width"));
  EXPECT_THAT(LoadError(WithOptimizer("{learning_rate_rule: {base_width: 64}}")),
              HasSubstr("bad.yaml:16:48: training.optimizer.learning_rate_rule.base_width "
                        "belongs to kind: power (kind is constant)"));
  EXPECT_THAT(LoadError(WithOptimizer("{learning_rate_rule: {kind: cubic}}")),
              HasSubstr("bad.yaml:16:42: training.optimizer.learning_rate_rule.kind: unknown "
                        "learning-rate rule 'cubic'"));
  EXPECT_THAT(
      LoadError(WithOptimizer(
          "{learning_rate: 1, learning_rate_rule: {kind: power, base_width: 32, exponent: 4}}")),
      HasSubstr("training.optimizer.learning_rate_rule: size 's' (d_model 64) gets learning "
                "rate 16"));
  EXPECT_THAT(LoadError(WithOptimizer("{learning_rate_scale: 0}")),
              HasSubstr("bad.yaml:16:36: training.optimizer.learning_rate_scale: must be in (0, "
                        "1000], got 0"));
}

TEST(LearningRateRuleTest, ABadWarmupPerParameterIsRefusedAtItsLine) {
  EXPECT_THAT(
      LoadError(SmallGridWith("batch_size: 64",
                              "batch_size: 64\n  schedule: {warmup_samples: "
                              "64, warmup_samples_per_param: 0.1}")),
      HasSubstr("bad.yaml:16:60: training.schedule.warmup_samples_per_param: give the warm-up "
                "in samples or per parameter, not both"));
  EXPECT_THAT(LoadError(SmallGridWith("batch_size: 64",
                                      "batch_size: 64\n  schedule: "
                                      "{warmup_samples_per_param: 100}")),
              HasSubstr("bad.yaml:16:40: training.schedule.warmup_samples_per_param: size 'xs' "
                        "(59520 non-embedding parameters) warms up for 5952000 samples, not "
                        "less than budget 10000"));
}

// model.parametrization: mup needs base_width and the rule mup (or constant); the rule mup needs
// a muP model; standard written out keeps every id, mup is a run of its own.
TEST(LearningRateRuleTest, MupNeedsItsBaseWidthAndItsOwnRule) {
  const auto ids = [](const std::string& text) {
    std::map<std::string, std::string> out;
    for (const RunSpec& run : LoadGridFromString(text, "g.yaml").runs) {
      out[run.size().name + "/" + std::to_string(run.samples())] = run.id;
    }
    return out;
  };
  const std::string mup_model = "  vocab_size: 512\n  parametrization: mup\n  base_width: 32\n";
  const auto base = ids(testing::kSmallGrid);
  EXPECT_EQ(ids(SmallGridWith("  vocab_size: 512\n",
                              "  vocab_size: 512\n  parametrization: "
                              "standard\n")),
            base);
  const std::string mup = SmallGridWith("  vocab_size: 512\n", mup_model);
  EXPECT_NE(ids(mup).at("xs/10000"), base.at("xs/10000"));
  std::string with_rule = mup;
  with_rule.replace(with_rule.find("{learning_rate: 1.0e-3}"), 23,
                    "{learning_rate: 1.0e-3, learning_rate_rule: {kind: mup}}");
  EXPECT_EQ(LoadError(with_rule), "");
  EXPECT_THAT(LoadError(SmallGridWith("  vocab_size: 512\n",
                                      "  vocab_size: 512\n  parametrization: mup\n")),
              HasSubstr("bad.yaml:12:20: model.base_width: muP needs the width whose "
                        "hyperparameters transfer"));
  EXPECT_THAT(LoadError(SmallGridWith("  vocab_size: 512\n",
                                      "  vocab_size: 512\n  base_width: "
                                      "32\n")),
              HasSubstr("model.base_width: belongs to model.parametrization: mup"));
  EXPECT_THAT(LoadError(WithOptimizer("{learning_rate_rule: {kind: mup}}")),
              HasSubstr("kind mup needs model.parametrization: mup"));
  std::string power = mup;
  power.replace(power.find("{learning_rate: 1.0e-3}"), 23,
                "{learning_rate_rule: {kind: power, base_width: 32, exponent: -1}}");
  EXPECT_THAT(LoadError(power), HasSubstr("a muP model scales its layers' rates with the width "
                                          "itself"));
}

}  // namespace
}  // namespace florenz
