// The data stream: deterministic, sharded exactly once across data-parallel ranks, never
// training an evaluation-only pair, sampling pairs by their weights, and translation targets
// that equal the target language's caption of the same scene.
#include "workers/data/data_generator.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/workers/data/data_test_util.h"

namespace florenz::data {
namespace {

bool Same(const Example& a, const Example& b) {
  return a.pair == b.pair && a.paraphrase == b.paraphrase && a.image == b.image &&
         a.prompt == b.prompt && a.target == b.target && a.image_tokens == b.image_tokens;
}

TEST(DataGeneratorTest, SampleIsAPureFunctionOfSeedAndIndex) {
  const LoadedGrid grid = testing::LoadDataGrid(testing::PaperDataGrid("rendered"));
  const DataGenerator one(grid.spec), two(grid.spec);
  for (int64_t i : {0, 1, 17, 123456}) {
    EXPECT_TRUE(Same(one.TrainExample(3, i), two.TrainExample(3, i))) << i;
    EXPECT_TRUE(Same(one.TrainExample(3, i), one.TrainExample(3, i))) << i;
  }
  EXPECT_FALSE(Same(one.TrainExample(3, 5), one.TrainExample(4, 5)));
  EXPECT_FALSE(Same(one.TrainExample(3, 5), one.TrainExample(3, 6)));
  const Example e = one.TrainExample(3, 0);
  EXPECT_EQ(e.image.size(), 3u * 32 * 32);
}

TEST(DataGeneratorTest, ShardsCoverTheStreamExactlyOnce) {
  for (int dp : {1, 2, 3, 4}) {
    std::multiset<int64_t> seen;
    for (int r = 0; r < dp; ++r) {
      for (int64_t i = 0; i < 1000; ++i) {
        if (DataGenerator::InShard(i, r, dp)) seen.insert(i);
      }
    }
    ASSERT_EQ(seen.size(), 1000u) << dp;
    for (int64_t i = 0; i < 1000; ++i) EXPECT_EQ(seen.count(i), 1u);
  }
}

TEST(DataGeneratorTest, EvaluationOnlyPairsNeverAppearInTraining) {
  const LoadedGrid grid = testing::LoadDataGrid(testing::PaperDataGrid());
  const DataGenerator data(grid.spec);
  for (int64_t i = 0; i < 10000; ++i) {
    const Example e = data.TrainExample(0, i);
    ASSERT_EQ(data.pairs()[e.pair].role, PairRole::kTrain) << data.pairs()[e.pair].name;
  }
}

TEST(DataGeneratorTest, PairFrequenciesMatchTheWeights) {
  // Chi-square goodness of fit over 10,000 samples at a fixed seed. Weights: caption_en 3,
  // the other six trained pairs 1. Critical value for 6 degrees of freedom at p = 0.001:
  // 22.46.
  std::string text = testing::PaperDataGrid();
  text.replace(text.find("  ambiguous_words"), 0, "  weights: {caption_en: 3}\n");
  const LoadedGrid grid = testing::LoadDataGrid(text);
  const DataGenerator data(grid.spec);
  std::map<int, int> counts;
  const int n = 10000;
  for (int64_t i = 0; i < n; ++i) ++counts[data.TrainExample(1, i).pair];
  const std::vector<int> trained = data.TrainedPairs();
  ASSERT_EQ(trained.size(), 7u);
  double chi2 = 0;
  for (const int p : trained) {
    const double expected = n * data.pairs()[p].weight / 9.0;
    chi2 += (counts[p] - expected) * (counts[p] - expected) / expected;
  }
  EXPECT_LT(chi2, 22.46);
  EXPECT_NEAR(counts[data.FindPair(Task::kCaption, "en")] / static_cast<double>(n), 3.0 / 9, 0.02);
}

TEST(DataGeneratorTest, TranslationTargetIsTheTargetLanguagesCaption) {
  const LoadedGrid grid = testing::LoadDataGrid(testing::PaperDataGrid());
  const DataGenerator data(grid.spec);
  int translations = 0;
  for (int64_t i = 0; i < 2000; ++i) {
    const Example e = data.TrainExample(2, i);
    const Pair& p = data.pairs()[e.pair];
    const Language& target = data.languages()[p.language];
    auto expected = data.vocabulary().Encode(target.Caption(e.scene.clauses, e.paraphrase));
    expected.push_back(Vocabulary::kEos);
    ASSERT_EQ(e.target, expected);
    ASSERT_EQ(e.prompt[0], data.vocabulary().LanguageToken(p.language));
    if (p.task != Task::kTranslate) continue;
    ++translations;
    const auto source =
        data.vocabulary().Encode(data.languages()[0].Caption(e.scene.clauses, e.paraphrase));
    ASSERT_EQ(std::vector<int32_t>(e.prompt.begin() + 2, e.prompt.end()), source);
    ASSERT_EQ(e.prompt[1], Vocabulary::kTranslate);
  }
  EXPECT_GT(translations, 1000);
}

TEST(DataGeneratorTest, EvaluationSetsAreFixedAndDisjointFromTraining) {
  const LoadedGrid grid = testing::LoadDataGrid(testing::PaperDataGrid());
  const DataGenerator data(grid.spec);
  const int es = data.FindPair(Task::kCaption, "es");
  ASSERT_GE(es, 0);
  EXPECT_EQ(data.pairs()[es].role, PairRole::kEval);
  EXPECT_TRUE(Same(data.EvalExample(es, 4), data.EvalExample(es, 4)));
  EXPECT_EQ(data.EvalExample(es, 4).pair, es);
  // The eval stream is not the training stream of any early seed.
  const Example eval = data.EvalExample(es, 0);
  for (int seed = 0; seed < 5; ++seed) {
    EXPECT_FALSE(Same(eval, data.TrainExample(seed, 0)));
  }
}

TEST(DataGeneratorTest, TextOnlyTranslationCarriesNoImage) {
  std::string text = testing::PaperDataGrid();
  text.replace(text.find("  ambiguous_words"), 0, "  translate_with_image: false\n");
  const DataGenerator data(testing::LoadDataGrid(text).spec);
  for (int64_t i = 0; i < 200; ++i) {
    const Example e = data.TrainExample(0, i);
    EXPECT_EQ(e.image.empty(), data.pairs()[e.pair].task == Task::kTranslate);
  }
}

TEST(DataGeneratorTest, DisambiguationItemsDifferOnlyInTheHomonymsSense) {
  const LoadedGrid grid = testing::LoadDataGrid(testing::PaperDataGrid());
  const DataGenerator data(grid.spec);
  for (int language = 1; language < 6; ++language) {
    for (int64_t i = 0; i < 50; ++i) {
      const DisambiguationItem item = data.Disambiguation(language, i);
      ASSERT_EQ(item.example.target.size(), item.incorrect.size());
      int differences = 0;
      for (size_t k = 0; k < item.incorrect.size(); ++k) {
        differences += item.example.target[k] != item.incorrect[k];
      }
      EXPECT_GE(differences, 1);
      EXPECT_FALSE(item.example.image.empty());
      // The English source says the same for both senses: it is the image that decides.
      const Shape shape = item.example.scene.clauses[0].first.shape;
      EXPECT_GE(static_cast<int>(shape), kPlainShapes);
    }
  }
  EXPECT_THROW(data.Disambiguation(0, 0), std::invalid_argument);  // English
}

TEST(DataGeneratorTest, PrefixTokensStartEveryTarget) {
  const LoadedGrid grid = testing::LoadDataGrid(testing::PaperDataGrid());
  const DataGenerator data(grid.spec);
  const int zh = data.FindPair(Task::kCaption, "zh");
  const Example e = data.EvalExample(zh, 0);
  const auto prefix = data.vocabulary().Encode(data.languages()[5].Prefix());
  ASSERT_EQ(e.prefix_tokens, static_cast<int>(prefix.size()));
  EXPECT_EQ(std::vector<int32_t>(e.target.begin(), e.target.begin() + e.prefix_tokens), prefix);
}

}  // namespace
}  // namespace florenz::data

namespace florenz::data {
namespace {

TEST(DataGeneratorHeldOutTest, HeldOutCombinationsOnlyInEvaluation) {
  std::string text = testing::PaperDataGrid();
  text.replace(text.find("  ambiguous_words"), 0, "  held_out: [blue triangle, red circle]\n");
  const DataGenerator data(testing::LoadDataGrid(text).spec);
  auto contains = [](const Scene& scene) {
    for (const auto& o : scene.objects) {
      const Attributes& a = o.attributes;
      if ((a.shape == Shape::kTriangle && a.colour == Colour::kBlue) ||
          (a.shape == Shape::kCircle && a.colour == Colour::kRed)) {
        return true;
      }
    }
    return false;
  };
  for (int64_t i = 0; i < 5000; ++i) ASSERT_FALSE(contains(data.TrainExample(0, i).scene)) << i;
  int in_eval = 0;
  const int es = data.FindPair(Task::kCaption, "es");
  for (int64_t i = 0; i < 2000; ++i) in_eval += contains(data.EvalExample(es, i).scene);
  EXPECT_GT(in_eval, 20);
}

TEST(DataGeneratorHeldOutTest, MalformedHeldOutIsAConfigError) {
  std::string text = testing::PaperDataGrid();
  text.replace(text.find("  ambiguous_words"), 0, "  held_out: [blue trinagle]\n");
  try {
    testing::LoadDataGrid(text);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("data.yaml:11:14: data.held_out: 'blue trinagle'"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace florenz::data
