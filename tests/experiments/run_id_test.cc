// Run ids are stable: derived from what a run computes, not from where it sits in the grid.
#include "experiments/run_id.h"

#include <gtest/gtest.h>

#include <map>

#include "experiments/grid_loader.h"
#include "tests/experiments/grid_test_util.h"

namespace florenz {
namespace {

using testing::kSmallGrid;
using testing::SmallGridWith;

std::map<std::string, std::string> IdsBySizeBudget(const std::string& text) {
  std::map<std::string, std::string> ids;
  for (const auto& run : LoadGridFromString(text, "g.yaml").runs) {
    ids[run.size().name + "/" + std::to_string(run.samples()) + "/" + std::to_string(run.seed())] =
        run.id;
  }
  return ids;
}

TEST(RunIdTest, HasAReadablePrefixAndAHash) {
  const auto ids = IdsBySizeBudget(kSmallGrid);
  const std::string id = ids.at("xs/10000/0");
  EXPECT_EQ(id.rfind("xs-10k-s0-", 0), 0u) << id;
  EXPECT_EQ(id.size(), std::string("xs-10k-s0-").size() + 8);
}

TEST(RunIdTest, AddingSizesBudgetsAndSeedsKeepsExistingIds) {
  const auto before = IdsBySizeBudget(kSmallGrid);
  std::string grown = SmallGridWith("[xs, s]", "[l, xs, m, s]");
  grown = grown.replace(grown.find("[10k, 20k]"), 10, "[5k, 20k, 10k, 80k]");
  grown = grown.replace(grown.find("seeds: [0]"), 10, "seeds: [0, 1]");
  const auto after = IdsBySizeBudget(grown);
  for (const auto& [key, id] : before) {
    ASSERT_TRUE(after.count(key)) << key;
    EXPECT_EQ(after.at(key), id) << key;
  }
}

TEST(RunIdTest, SettingsThatChangeTheRunChangeTheId) {
  const auto base = IdsBySizeBudget(kSmallGrid);
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"learning_rate: 1.0e-3", "learning_rate: 2.0e-3"},
           {"batch_size: 64", "batch_size: 32"},
           {"image: symbolic", "image: rendered"},
           {"es: eval}", "es: train}"},
           {"vocab_size: 512", "vocab_size: 1024"}}) {
    const auto changed = IdsBySizeBudget(SmallGridWith(from, to));
    EXPECT_NE(changed.at("xs/10000/0"), base.at("xs/10000/0")) << from << " -> " << to;
  }
}

TEST(RunIdTest, OperationalSettingsKeepTheId) {
  const auto base = IdsBySizeBudget(kSmallGrid);
  std::string text = SmallGridWith("name: small", "name: renamed");
  text += "parallel: {data_parallel: 2}\nexecution: {retries: 5, checkpoint_interval: 1k}\n";
  EXPECT_EQ(IdsBySizeBudget(text), base);
}

// Where a corpus's caches live (data.cache_dir) changes no bit a run computes.
TEST(RunIdTest, TheCacheFolderKeepsTheId) {
  ExperimentSpec spec = LoadGridFromString(kSmallGrid, "g.yaml").runs.front().Spec();
  const std::string before = RunIdentityText(spec);
  spec.data.cache_dir = "/scratch/florenz-cache";
  EXPECT_EQ(RunIdentityText(spec), before);
}

TEST(RunIdTest, WritingADefaultExplicitlyKeepsTheId) {
  const auto base = IdsBySizeBudget(kSmallGrid);
  const auto explicit_defaults = IdsBySizeBudget(
      SmallGridWith("  optimizer: {learning_rate: 1.0e-3}",
                    "  optimizer: {learning_rate: 0.001, weight_decay: 0.01, beta1: 0.9}\n"
                    "  schedule: {kind: cosine}"));
  EXPECT_EQ(explicit_defaults, base);
}

TEST(RunIdTest, IdsAreFixedAcrossReleases) {
  // Pinned so that an accidental change of the canonical form (which would orphan every
  // finished result on users' disks) fails here first.
  const auto ids = IdsBySizeBudget(kSmallGrid);
  EXPECT_EQ(ids.at("xs/10000/0"), "xs-10k-s0-f45c3a0a");
}

// RunIdMaker (what grid expansion uses) gives every run the id of its own flattened spec, for
// seeds and budgets at and beside the defaults, with and without hyperparameter axes, for
// runs added by `include` (a duplicate of a grid point is one run) and with branching.
TEST(RunIdTest, TheIdMakerGivesEachRunTheIdOfItsOwnSpec) {
  std::string grid = SmallGridWith("seeds: [0]", "seeds: [0, 1, 7, 123456789]");
  grid = grid.replace(grid.find("[10k, 20k]"), 10, "[640, 10k, 20k, 1M]");
  grid +=
      "  schedule: {kind: wsd, warmup_samples: 64}\n  branching: true\n"
      "include: [{size: s, budget: 30k, seed: 3}, {size: xs, budget: 10k, seed: 0}]\n";
  for (const std::string& text :
       {grid, SmallGridWith("learning_rate: 1.0e-3", "learning_rate: [1.0e-3, 3.0e-3]")}) {
    const LoadedGrid loaded = LoadGridFromString(text, "g.yaml");
    ASSERT_FALSE(loaded.runs.empty());
    std::map<std::string, int> seen;
    for (const RunSpec& run : loaded.runs) {
      // The axis tag sits between "-s<seed>-" and the hash.
      const std::string head = run.size().name + "-" + FormatCount(run.samples()) + "-s" +
                               std::to_string(run.seed()) + "-";
      ASSERT_EQ(run.id.rfind(head, 0), 0u) << run.id;
      const std::string rest = run.id.substr(head.size());
      const std::string tag = rest.size() > 8 ? rest.substr(0, rest.size() - 9) : "";
      EXPECT_EQ(run.id, MakeRunId(run.Spec(), tag));
      EXPECT_EQ(++seen[run.id], 1) << run.id << " twice";
    }
  }
}

// wsd's decay shape: linear (the default) written out keeps the id, another shape is a run of
// its own.
TEST(RunIdTest, ADecayShapeEntersTheIdOnlyWhenNotLinear) {
  const auto with = [](const char* shape) {
    return IdsBySizeBudget(SmallGridWith(
        "batch_size: 64", std::string("batch_size: 64\n  schedule: {kind: wsd") + shape + "}"));
  };
  const auto linear = with("");
  EXPECT_EQ(with(", decay_shape: linear"), linear);
  EXPECT_NE(with(", decay_shape: 1-sqrt").at("xs/10000/0"), linear.at("xs/10000/0"));
  EXPECT_NE(with(", decay_shape: cosine").at("xs/10000/0"),
            with(", decay_shape: 1-sqrt").at("xs/10000/0"));
}

TEST(RunIdTest, GenerationAtEveryEvaluationIsARunOfItsOwn) {
  const auto base = IdsBySizeBudget(kSmallGrid);
  EXPECT_EQ(IdsBySizeBudget(std::string(kSmallGrid) + "evaluation: {generation: final}\n"), base);
  EXPECT_NE(IdsBySizeBudget(std::string(kSmallGrid) + "evaluation: {generation: every}\n")
                .at("xs/10000/0"),
            base.at("xs/10000/0"));
}

TEST(RunIdTest, PrecisionEntersTheIdOnlyWhenNotFp32) {
  // fp32 is the default: writing it keeps every id ever written; bf16 and tf32 compute other
  // bits on a GPU, so each is a run of its own.
  const auto base = IdsBySizeBudget(kSmallGrid);
  const auto with = [](const char* precision) {
    return IdsBySizeBudget(
        SmallGridWith("batch_size: 64", std::string("batch_size: 64\n  precision: ") + precision));
  };
  EXPECT_EQ(with("fp32"), base);
  const std::string bf16 = with("bf16").at("xs/10000/0"), tf32 = with("tf32").at("xs/10000/0");
  EXPECT_NE(tf32, base.at("xs/10000/0"));
  EXPECT_NE(tf32, bf16);
  EXPECT_EQ(tf32.rfind("xs-10k-s0-", 0), 0u) << tf32;
}

TEST(RunIdTest, CorpusLimitsEnterTheIdOnlyAwayFromTheirDefaults) {
  // data.max_image_pixels and data.max_text_bytes at their defaults, written or not, keep every
  // id; other limits may skip other samples, so they are runs of their own.
  const std::string shards =
      SmallGridWith("  image: symbolic\n",
                    "  source: shards\n  train: t.tar\n  eval: e.tar\n  tokenizer: tok.model\n"
                    "  image: pixels\n");
  const auto base = IdsBySizeBudget(shards);
  const auto with = [&shards](const std::string& limits) {
    std::string text = shards;
    return IdsBySizeBudget(
        text.replace(text.find("  image: pixels\n"), 16, "  image: pixels\n" + limits));
  };
  EXPECT_EQ(with("  max_image_pixels: 40000000\n  max_text_bytes: 65536\n"), base);
  EXPECT_NE(with("  max_text_bytes: 131072\n").at("xs/10000/0"), base.at("xs/10000/0"));
  EXPECT_NE(with("  max_image_pixels: 1000000\n").at("xs/10000/0"), base.at("xs/10000/0"));
  EXPECT_EQ(IdsBySizeBudget(SmallGridWith("  image: symbolic\n",
                                          "  image: symbolic\n  max_text_bytes: 65536\n")),
            IdsBySizeBudget(kSmallGrid));
}

TEST(RunIdTest, FormatsCountsCompactly) {
  EXPECT_EQ(FormatCount(80000), "80k");
  EXPECT_EQ(FormatCount(2000000), "2M");
  EXPECT_EQ(FormatCount(3000000000), "3G");
  EXPECT_EQ(FormatCount(12345), "12345");
  EXPECT_EQ(FormatCount(0), "0");
}

}  // namespace
}  // namespace florenz
