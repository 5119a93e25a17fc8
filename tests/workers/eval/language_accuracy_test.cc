// Output-language identification on real captions of the six preset languages (each is its
// own language, with or without the forced prefix), on mixed sequences, on words shared by
// several lexicons, and on the paper's failure: a German caption where Spanish was asked for.
#include "workers/eval/language_accuracy.h"

#include <gtest/gtest.h>

#include <sstream>

#include "workers/data/sample_rng.h"

namespace florenz::eval {
namespace {

using data::Language;

std::vector<Language> PresetLanguages() {
  std::vector<Language> languages;
  for (const auto& options : LanguagePresets()) languages.emplace_back(options);
  return languages;
}

std::vector<std::string> Split(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

int IndexOf(const std::vector<Language>& languages, const std::string& name) {
  for (size_t i = 0; i < languages.size(); ++i) {
    if (languages[i].name() == name) return static_cast<int>(i);
  }
  ADD_FAILURE() << "no language " << name;
  return 0;
}

std::vector<data::Scene> Scenes(int count) {
  data::SceneOptions options;
  options.max_objects = 4;
  for (int s = 0; s < data::kShapes; ++s) options.shapes.push_back(static_cast<data::Shape>(s));
  std::vector<data::Scene> scenes;
  for (int i = 0; i < count; ++i) {
    data::SampleRng rng(5, data::Split::kTrain, i);
    scenes.push_back(data::GenerateScene(options, rng));
  }
  return scenes;
}

TEST(LanguageAccuracyTest, EveryPresetCaptionIsIdentifiedAsItsOwnLanguage) {
  const auto languages = PresetLanguages();
  ASSERT_EQ(languages.size(), 6u);
  const LanguageIdentifier identifier(languages);
  const auto scenes = Scenes(300);
  for (int l = 0; l < identifier.languages(); ++l) {
    std::vector<std::vector<std::string>> captions;
    for (size_t i = 0; i < scenes.size(); ++i) {
      captions.push_back(languages[l].Caption(scenes[i].clauses, i % data::kParaphrases));
    }
    for (const bool prefix_forced : {false, true}) {
      // Whatever language was requested, the caption is identified as its own.
      for (int requested = 0; requested < identifier.languages(); ++requested) {
        const LanguageAccuracy a = identifier.Score(captions, requested, prefix_forced);
        EXPECT_EQ(a.confusion[l], a.sequences)
            << languages[l].name() << " requested as " << languages[requested].name();
        EXPECT_DOUBLE_EQ(a.accuracy, requested == l ? 1.0 : 0.0);
      }
    }
    const LanguageIdentification id = identifier.Identify(captions[0], l, false);
    EXPECT_DOUBLE_EQ(id.shares[l], 1.0);
    EXPECT_EQ(id.words, static_cast<int>(captions[0].size()));
  }
}

TEST(LanguageAccuracyTest, GermanCaptionRequestedAsSpanishCountsAgainstSpanish) {
  const auto languages = PresetLanguages();
  const LanguageIdentifier identifier(languages);
  const int de = IndexOf(languages, "de");
  const int es = IndexOf(languages, "es");
  const auto german =
      Split("das bild zeigt ein kleiner roter kreis links von einem großen orangen quadrat");
  const LanguageAccuracy a = identifier.Score({german, german}, es, false);
  EXPECT_EQ(a.requested, es);
  EXPECT_EQ(a.sequences, 2);
  EXPECT_DOUBLE_EQ(a.accuracy, 0.0);
  EXPECT_EQ(a.confusion[de], 2);
  EXPECT_EQ(a.labels[de], "de");
  EXPECT_EQ(a.labels.back(), "mixed");
  ASSERT_EQ(a.confusion.size(), languages.size() + 1);

  // The Spanish prefix was forced, and the model went on in German: still German.
  auto forced = languages[es].Prefix();
  forced.insert(forced.end(), german.begin() + 3, german.end());
  const LanguageIdentification id = identifier.Identify(forced, es, true);
  EXPECT_EQ(id.language, de);
  EXPECT_EQ(id.words, static_cast<int>(german.size()) - 3);
  EXPECT_DOUBLE_EQ(id.shares[de], 1.0);
  EXPECT_DOUBLE_EQ(id.shares[es], 0.0);
  // Not forced, the Spanish prefix words count and make the sequence mixed.
  EXPECT_EQ(identifier.Identify(forced, es, false).language, kMixedOrUnknown);
}

TEST(LanguageAccuracyTest, MixedSequencesAreNeitherLanguage) {
  const auto languages = PresetLanguages();
  const LanguageIdentifier identifier(languages);
  const int en = IndexOf(languages, "en");
  const int de = IndexOf(languages, "de");
  // English prefix, German clause.
  const auto mixed = Split("the image shows ein kleiner roter kreis");
  const LanguageIdentification id = identifier.Identify(mixed, en, false);
  EXPECT_EQ(id.language, kMixedOrUnknown);
  EXPECT_DOUBLE_EQ(id.shares[en], 3.0 / 7.0);
  EXPECT_DOUBLE_EQ(id.shares[de], 4.0 / 7.0);
  // Unknown words, and nothing at all, are "mixed/unknown" too.
  EXPECT_EQ(identifier.Identify(Split("the image shows a xyzzy"), en, false).language,
            kMixedOrUnknown);
  EXPECT_EQ(identifier.Identify({}, en, false).language, kMixedOrUnknown);
  EXPECT_EQ(identifier.Identify(languages[en].Prefix(), en, true).language, kMixedOrUnknown);

  const LanguageAccuracy a = identifier.Score(
      {mixed, Split("the image shows a small red circle"), Split("xyzzy")}, en, false);
  EXPECT_DOUBLE_EQ(a.accuracy, 1.0 / 3.0);
  EXPECT_EQ(a.confusion[en], 1);
  EXPECT_EQ(a.confusion.back(), 2);
}

TEST(LanguageAccuracyTest, SharedWordsGoToTheRequestedLanguage) {
  const auto languages = PresetLanguages();
  const LanguageIdentifier identifier(languages);
  const int en = IndexOf(languages, "en");
  const int de = IndexOf(languages, "de");
  const int fr = IndexOf(languages, "fr");
  // "orange triangle" is English and French.
  const auto shared = Split("orange triangle");
  EXPECT_EQ(identifier.Identify(shared, fr, false).language, fr);
  EXPECT_EQ(identifier.Identify(shared, en, false).language, en);
  // Requested German, which does not cover "triangle": the first covering language in grid
  // order.
  EXPECT_EQ(identifier.Identify(shared, de, false).language, en);
  // A German caption with the shared "orange" is German, whatever was requested.
  const auto german = Split("das bild zeigt ein großer orange kreis");
  EXPECT_EQ(identifier.Identify(german, en, false).language, de);
  EXPECT_EQ(identifier.Identify(german, fr, false).language, de);
}

}  // namespace
}  // namespace florenz::eval
