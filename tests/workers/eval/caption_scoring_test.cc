// Caption scoring by parsing: hand-built scene graphs with one kind of error each (colour,
// count, relation direction, missing clause, homonym sense), real captions of every preset
// language (all exact), and unparsable captions (0 everywhere, counted).
#include "workers/eval/caption_scoring.h"

#include <gtest/gtest.h>

#include <sstream>

#include "core/errors.h"
#include "workers/data/sample_rng.h"

namespace florenz::eval {
namespace {

using data::Attributes;
using data::Clause;
using data::Colour;
using data::Language;
using data::ObjectSize;
using data::Relation;
using data::Shape;

Language Preset(const std::string& name) {
  for (const auto& options : LanguagePresets()) {
    if (options.name == name) return Language(options);
  }
  throw std::runtime_error("no preset " + name);
}

std::vector<std::string> Split(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

const Attributes kRedCircle{Shape::kCircle, Colour::kRed, ObjectSize::kSmall};
const Attributes kBlueSquare{Shape::kSquare, Colour::kBlue, ObjectSize::kLarge};
const Attributes kYellowSquare{Shape::kSquare, Colour::kYellow, ObjectSize::kLarge};
const Attributes kGreenStar{Shape::kStar, Colour::kGreen, ObjectSize::kLarge};

Clause Group(const Attributes& a, int count) {
  Clause c;
  c.first = a;
  c.count = count;
  return c;
}

Clause Relate(const Attributes& a, Relation relation, const Attributes& b) {
  Clause c;
  c.kind = Clause::Kind::kRelation;
  c.first = a;
  c.relation = relation;
  c.second = b;
  return c;
}

// Reference of the hand-built cases: a small red circle left of a large blue square, and two
// large green stars (4 objects, 1 relation).
const std::vector<Clause> kReference = {Relate(kRedCircle, Relation::kLeftOf, kBlueSquare),
                                        Group(kGreenStar, 2)};

void ExpectPerfect(const CaptionMetrics& m) {
  EXPECT_TRUE(m.parsed);
  EXPECT_TRUE(m.exact);
  EXPECT_DOUBLE_EQ(m.object_precision, 1.0);
  EXPECT_DOUBLE_EQ(m.object_recall, 1.0);
  EXPECT_DOUBLE_EQ(m.colour_accuracy, 1.0);
  EXPECT_DOUBLE_EQ(m.shape_accuracy, 1.0);
  EXPECT_EQ(m.relations_right, m.reference_relations);
}

TEST(CaptionScoringTest, ParaphrasesAreExact) {
  const Language en = Preset("en");
  ExpectPerfect(CompareGraphs(en, kReference, kReference));
  // The relation stated from the other object, clauses in the other order.
  const std::vector<Clause> paraphrase = {Group(kGreenStar, 2),
                                          Relate(kBlueSquare, Relation::kRightOf, kRedCircle)};
  const CaptionMetrics m = CompareGraphs(en, paraphrase, kReference);
  ExpectPerfect(m);
  EXPECT_EQ(m.reference_relations, 1);
}

TEST(CaptionScoringTest, WrongColourCostsOneObjectAndTheRelation) {
  const std::vector<Clause> generated = {Relate(kRedCircle, Relation::kLeftOf, kYellowSquare),
                                         Group(kGreenStar, 2)};
  const CaptionMetrics m = CompareGraphs(Preset("en"), generated, kReference);
  EXPECT_TRUE(m.parsed);
  EXPECT_FALSE(m.exact);
  EXPECT_DOUBLE_EQ(m.object_precision, 0.75);
  EXPECT_DOUBLE_EQ(m.object_recall, 0.75);
  EXPECT_DOUBLE_EQ(m.colour_accuracy, 0.75);
  EXPECT_DOUBLE_EQ(m.shape_accuracy, 1.0);
  EXPECT_EQ(m.reference_relations, 1);
  EXPECT_EQ(m.relations_right, 0);
}

TEST(CaptionScoringTest, CountsAreComparedWithMultiplicity) {
  // Three stars where there are two: 5 generated objects, 4 of them right.
  const std::vector<Clause> more = {Relate(kRedCircle, Relation::kLeftOf, kBlueSquare),
                                    Group(kGreenStar, 3)};
  const CaptionMetrics m = CompareGraphs(Preset("en"), more, kReference);
  EXPECT_FALSE(m.exact);
  EXPECT_DOUBLE_EQ(m.object_precision, 4.0 / 5.0);
  EXPECT_DOUBLE_EQ(m.object_recall, 1.0);
  EXPECT_DOUBLE_EQ(m.colour_accuracy, 4.0 / 5.0);  // an extra object costs like a missing one
  EXPECT_DOUBLE_EQ(m.shape_accuracy, 4.0 / 5.0);
  EXPECT_EQ(m.relations_right, 1);

  // Only the group, and one star instead of two: 1 object, right, of 4.
  const CaptionMetrics fewer = CompareGraphs(Preset("en"), {Group(kGreenStar, 1)}, kReference);
  EXPECT_DOUBLE_EQ(fewer.object_precision, 1.0);
  EXPECT_DOUBLE_EQ(fewer.object_recall, 0.25);
  EXPECT_DOUBLE_EQ(fewer.colour_accuracy, 0.25);
  EXPECT_EQ(fewer.relations_right, 0);
}

TEST(CaptionScoringTest, ReversedRelationHasTheRightObjectsButTheWrongRelation) {
  const std::vector<Clause> reversed = {Relate(kBlueSquare, Relation::kLeftOf, kRedCircle),
                                        Group(kGreenStar, 2)};
  const CaptionMetrics m = CompareGraphs(Preset("en"), reversed, kReference);
  EXPECT_FALSE(m.exact);
  EXPECT_DOUBLE_EQ(m.object_precision, 1.0);
  EXPECT_DOUBLE_EQ(m.object_recall, 1.0);
  EXPECT_EQ(m.relations_right, 0);
  const std::vector<Clause> above = {Relate(kRedCircle, Relation::kAbove, kBlueSquare),
                                     Group(kGreenStar, 2)};
  EXPECT_EQ(CompareGraphs(Preset("en"), above, kReference).relations_right, 0);
}

TEST(CaptionScoringTest, EnglishHomonymsAreNotPenalisedButGermanOnesAre) {
  const Attributes ribbon{Shape::kBowRibbon, Colour::kRed, ObjectSize::kSmall};
  const Attributes arc{Shape::kBowArc, Colour::kRed, ObjectSize::kSmall};
  // English says "bow" for both senses: the parser cannot tell them apart, nor can the score.
  ExpectPerfect(CompareGraphs(Preset("en"), {Group(arc, 1)}, {Group(ribbon, 1)}));
  // German has two words: the wrong sense is a wrong shape.
  const CaptionMetrics de = CompareGraphs(Preset("de"), {Group(arc, 1)}, {Group(ribbon, 1)});
  EXPECT_FALSE(de.exact);
  EXPECT_DOUBLE_EQ(de.shape_accuracy, 0.0);
  EXPECT_DOUBLE_EQ(de.colour_accuracy, 1.0);
}

TEST(CaptionScoringTest, RealCaptionsOfEveryPresetScorePerfectly) {
  data::SceneOptions options;
  options.max_objects = 4;
  for (int s = 0; s < data::kShapes; ++s) options.shapes.push_back(static_cast<Shape>(s));
  for (const auto& preset : LanguagePresets()) {
    const Language language(preset);
    std::vector<std::vector<std::string>> captions;
    std::vector<std::vector<Clause>> references;
    for (int i = 0; i < 200; ++i) {
      data::SampleRng rng(9, data::Split::kTrain, i);
      const data::Scene scene = data::GenerateScene(options, rng);
      captions.push_back(language.Caption(scene.clauses, i % data::kParaphrases));
      references.push_back(scene.clauses);
    }
    const CaptionScores s = ScoreCaptions(language, captions, references);
    EXPECT_EQ(s.captions, 200) << language.name();
    EXPECT_EQ(s.unparsable, 0) << language.name();
    EXPECT_EQ(s.exact, 200) << language.name();
    EXPECT_DOUBLE_EQ(s.exact_match, 1.0) << language.name();
    EXPECT_DOUBLE_EQ(s.object_precision, 1.0) << language.name();
    EXPECT_DOUBLE_EQ(s.object_recall, 1.0) << language.name();
    EXPECT_DOUBLE_EQ(s.colour_accuracy, 1.0) << language.name();
    EXPECT_DOUBLE_EQ(s.shape_accuracy, 1.0) << language.name();
    EXPECT_GT(s.reference_relations, 0) << language.name();
    EXPECT_DOUBLE_EQ(s.relation_accuracy, 1.0) << language.name();
  }
}

TEST(CaptionScoringTest, RealCaptionWithOneWrongWord) {
  const Language en = Preset("en");
  const CaptionMetrics m = ScoreCaption(
      en,
      Split("the image shows a small red circle left of a large yellow square and two large "
            "green stars"),
      kReference);
  EXPECT_TRUE(m.parsed);
  EXPECT_FALSE(m.exact);
  EXPECT_DOUBLE_EQ(m.object_recall, 0.75);
  EXPECT_DOUBLE_EQ(m.colour_accuracy, 0.75);
  EXPECT_EQ(m.relations_right, 0);
}

TEST(CaptionScoringTest, UnparsableCaptionsScoreZeroAndAreCounted) {
  const Language en = Preset("en");
  const Language de = Preset("de");
  const auto good = en.Caption(kReference, 0);
  const auto german = de.Caption(kReference, 0);  // the wrong language for en's parser
  const auto truncated = std::vector<std::string>(good.begin(), good.end() - 2);
  for (const auto& bad :
       {german, truncated, Split("the image shows"), std::vector<std::string>{}}) {
    const CaptionMetrics m = ScoreCaption(en, bad, kReference);
    EXPECT_FALSE(m.parsed);
    EXPECT_FALSE(m.exact);
    EXPECT_EQ(m.object_precision + m.object_recall + m.colour_accuracy + m.shape_accuracy, 0.0);
    EXPECT_EQ(m.reference_relations, 1);
    EXPECT_EQ(m.relations_right, 0);
  }
  const CaptionScores s = ScoreCaptions(en, {good, german}, {kReference, kReference});
  EXPECT_EQ(s.captions, 2);
  EXPECT_EQ(s.unparsable, 1);
  EXPECT_EQ(s.exact, 1);
  EXPECT_DOUBLE_EQ(s.exact_match, 0.5);
  EXPECT_DOUBLE_EQ(s.object_precision, 0.5);
  EXPECT_DOUBLE_EQ(s.colour_accuracy, 0.5);
  EXPECT_EQ(s.reference_relations, 2);
  EXPECT_DOUBLE_EQ(s.relation_accuracy, 0.5);
  EXPECT_THROW(ScoreCaptions(en, {good}, {}), RunError);
}

}  // namespace
}  // namespace florenz::eval
