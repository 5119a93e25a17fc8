// Captions are faithful: every language's caption of a scene parses back into that scene's
// graph (up to the designed homonyms), across paraphrases, for 10,000 generated scenes.
#include "workers/data/language.h"

#include <gtest/gtest.h>

#include "tests/workers/data/data_test_util.h"
#include "workers/data/data_generator.h"

namespace florenz::data {
namespace {

std::vector<Clause> ByClass(const Language& language, std::vector<Clause> clauses) {
  for (auto& c : clauses) {
    c.first.shape = language.ShapeClass(c.first.shape);
    c.second.shape = language.ShapeClass(c.second.shape);
  }
  return CanonicalGraph(clauses);
}

std::string Join(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

TEST(LanguageTest, EnglishCaptionsRoundTripOverTenThousandScenes) {
  const LoadedGrid grid = testing::LoadDataGrid(testing::PaperDataGrid("symbolic", 4));
  const DataGenerator data(grid.spec);
  const Language& en = data.languages()[0];
  ASSERT_EQ(en.name(), "en");
  SceneOptions options;
  options.max_objects = 4;
  for (int s = 0; s < kShapes; ++s) options.shapes.push_back(static_cast<Shape>(s));
  int homonym_scenes = 0;
  for (int i = 0; i < 10000; ++i) {
    SampleRng rng(7, Split::kTrain, i);
    const Scene scene = GenerateScene(options, rng);
    const int paraphrase = i % kParaphrases;
    const auto caption = en.Caption(scene.clauses, paraphrase);
    const auto parsed = en.Parse(caption);
    ASSERT_TRUE(parsed.has_value()) << Join(caption);
    ASSERT_EQ(CanonicalGraph(*parsed), ByClass(en, scene.clauses)) << Join(caption);
    // Unambiguous except for the homonyms: without them the graph is recovered exactly.
    bool homonym = false;
    for (const auto& c : scene.clauses) {
      homonym =
          homonym || static_cast<int>(c.first.shape) >= kPlainShapes ||
          (c.kind == Clause::Kind::kRelation && static_cast<int>(c.second.shape) >= kPlainShapes);
    }
    if (!homonym) {
      ASSERT_EQ(CanonicalGraph(*parsed), CanonicalGraph(scene.clauses)) << Join(caption);
    } else {
      ++homonym_scenes;
    }
  }
  EXPECT_GT(homonym_scenes, 1000);  // the test saw the designed ambiguity too
}

TEST(LanguageTest, EveryPresetLanguageParsesItsOwnCaptionsExactly) {
  const LoadedGrid grid = testing::LoadDataGrid(testing::PaperDataGrid("symbolic", 3));
  const DataGenerator data(grid.spec);
  SceneOptions options;
  options.max_objects = 3;
  for (int s = 0; s < kShapes; ++s) options.shapes.push_back(static_cast<Shape>(s));
  for (const Language& language : data.languages()) {
    for (int i = 0; i < 2000; ++i) {
      SampleRng rng(11, Split::kTrain, i);
      const Scene scene = GenerateScene(options, rng);
      const auto caption = language.Caption(scene.clauses, i % kParaphrases);
      const auto parsed = language.Parse(caption);
      ASSERT_TRUE(parsed.has_value()) << language.name() << ": " << Join(caption);
      ASSERT_EQ(CanonicalGraph(*parsed), ByClass(language, scene.clauses))
          << language.name() << ": " << Join(caption);
      if (language.name() != "en") {
        ASSERT_EQ(CanonicalGraph(*parsed), CanonicalGraph(scene.clauses)) << language.name();
      }
    }
  }
}

TEST(LanguageTest, TypologyShowsInTheWords) {
  const LoadedGrid grid = testing::LoadDataGrid(testing::PaperDataGrid());
  const DataGenerator data(grid.spec);
  Clause relation;
  relation.kind = Clause::Kind::kRelation;
  relation.first = {Shape::kCircle, Colour::kRed, ObjectSize::kSmall};
  relation.second = {Shape::kSquare, Colour::kBlue, ObjectSize::kLarge};
  relation.relation = Relation::kLeftOf;
  Clause two;
  two.first = {Shape::kStar, Colour::kGreen, ObjectSize::kLarge};
  two.count = 2;
  auto caption = [&](int language, const Clause& c) {
    return Join(data.languages()[language].Caption({c}, 0));
  };
  EXPECT_EQ(caption(0, relation), "the image shows a small red circle left of a large blue square");
  EXPECT_EQ(caption(0, two), "the image shows two large green stars");
  // German: gender agreement, and the oblique case after the relation.
  EXPECT_EQ(caption(1, relation),
            "das bild zeigt ein kleiner roter kreis links von einem großen blauen quadrat");
  // French: adjectives after the noun.
  EXPECT_EQ(caption(2, relation),
            "l'image montre un cercle rouge petit à gauche de un carré bleu grand");
  // Russian: no articles, case endings on the object.
  EXPECT_EQ(caption(4, relation),
            "на изображении малый красный круг слева от большым синым квадратом");
  // Chinese: postposition, classifier, no plural.
  EXPECT_EQ(caption(5, relation), "图 为 小 红色 圆形 大 蓝色 方形 左边");
  EXPECT_EQ(caption(5, two), "图 为 两 个 大 绿色 星形");
}

TEST(LanguageTest, ParaphrasesSayTheSameThingDifferently) {
  const LoadedGrid grid = testing::LoadDataGrid(testing::PaperDataGrid());
  const DataGenerator data(grid.spec);
  const Language& en = data.languages()[0];
  Clause relation;
  relation.kind = Clause::Kind::kRelation;
  relation.first = {Shape::kCircle, Colour::kRed, ObjectSize::kSmall};
  relation.second = {Shape::kSquare, Colour::kBlue, ObjectSize::kLarge};
  relation.relation = Relation::kAbove;
  EXPECT_EQ(Join(en.Caption({relation}, 1)),
            "the image shows a large blue square below a small red circle");
  EXPECT_EQ(CanonicalGraph(*en.Parse(en.Caption({relation}, 1))), CanonicalGraph({relation}));
}

TEST(LanguageTest, MalformedCaptionsDoNotParse) {
  const LoadedGrid grid = testing::LoadDataGrid(testing::PaperDataGrid());
  const DataGenerator data(grid.spec);
  const Language& en = data.languages()[0];
  EXPECT_FALSE(en.Parse({"a", "red", "circle"}).has_value());  // no prefix
  EXPECT_FALSE(en.Parse({"the", "image", "shows", "a", "red"}).has_value());
  EXPECT_FALSE(en.Parse({"the", "image", "shows", "a", "small", "red", "kreis"}).has_value());
}

TEST(LanguageTest, GeneratedLanguagesAreDeterministicAndDistinct) {
  LanguageOptions a;
  a.name = "xa";
  a.lexicon_seed = 3;
  LanguageOptions b = a;
  b.name = "xb";
  b.lexicon_seed = 4;
  const Language first(a), again(a), other(b);
  EXPECT_EQ(first.AllWords(), again.AllWords());
  EXPECT_NE(first.AllWords(), other.AllWords());
  Clause group;
  group.first = {Shape::kCross, Colour::kBlack, ObjectSize::kSmall};
  const auto caption = first.Caption({group}, 0);
  ASSERT_TRUE(first.Parse(caption).has_value());
  EXPECT_EQ(CanonicalGraph(*first.Parse(caption)), CanonicalGraph({group}));
}

TEST(LanguageTest, LongestCaptionBoundsEveryCaption) {
  const LoadedGrid grid = testing::LoadDataGrid(testing::PaperDataGrid("symbolic", 4));
  const DataGenerator data(grid.spec);
  SceneOptions options;
  options.max_objects = 4;
  for (int s = 0; s < kShapes; ++s) options.shapes.push_back(static_cast<Shape>(s));
  for (const Language& language : data.languages()) {
    const int bound = language.LongestCaption(4);
    int longest = 0;
    for (int i = 0; i < 3000; ++i) {
      SampleRng rng(5, Split::kTrain, i);
      const Scene scene = GenerateScene(options, rng);
      longest = std::max(longest, static_cast<int>(language.Caption(scene.clauses, i % 4).size()));
    }
    EXPECT_LE(longest, bound) << language.name();
    EXPECT_GE(longest, bound - 2) << language.name();  // the bound is tight, not just safe
  }
}

}  // namespace
}  // namespace florenz::data

namespace florenz::data {
namespace {

TEST(LanguageWordsTest, HasWordCoversEveryWordACaptionCanContain) {
  const LoadedGrid grid = testing::LoadDataGrid(testing::PaperDataGrid("symbolic", 3));
  const DataGenerator data(grid.spec);
  SceneOptions options;
  options.max_objects = 3;
  for (int s = 0; s < kShapes; ++s) options.shapes.push_back(static_cast<Shape>(s));
  for (const Language& language : data.languages()) {
    for (int i = 0; i < 500; ++i) {
      SampleRng rng(3, Split::kTrain, i);
      for (const auto& w : language.Caption(GenerateScene(options, rng).clauses, i % 4)) {
        ASSERT_TRUE(language.HasWord(w)) << language.name() << ": " << w;
      }
    }
  }
}

}  // namespace
}  // namespace florenz::data
