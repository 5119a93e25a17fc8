// A language's words: nouns for the shapes (with gender and number forms), adjectives for
// colours and sizes (with agreement endings), relation phrases, numerals, articles, the
// conjunction and the decoder prefix ("the image shows"). Presets carry small real-word
// lexicons; any other language gets one generated from a seeded syllable inventory.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "experiments/language_options.h"
#include "workers/data/scene.h"

namespace florenz::data {

// Grammatical case of a noun phrase: plain (subject) or oblique (object of a relation).
enum class Case : uint8_t { kPlain, kOblique };
constexpr int kCases = 2;
// Slots of agreement tables: one per gender (up to 3), then the plural.
constexpr int kAgreementSlots = 4;
constexpr int kPluralSlot = 3;

struct Noun {
  std::string singular;
  std::string plural;
  int gender = 0;  // 0 … genders-1
};

struct Lexicon {
  std::array<Noun, kShapes> shapes;
  std::array<std::string, kColours> colours;                   // adjective stems
  std::array<std::string, kObjectSizes> sizes;                 // adjective stems
  std::array<std::vector<std::string>, kRelations> relations;  // words of each relation phrase
  std::array<std::string, 2> numerals;                         // "two", "three"
  std::string classifier;           // counted nouns (languages with classifiers)
  std::string conjunction;          // "and"
  std::vector<std::string> prefix;  // "the image shows"
  // [case][gender] indefinite articles (singular); [case][gender] definite articles.
  std::array<std::array<std::string, 3>, kCases> indefinite_articles;
  std::array<std::array<std::string, 3>, kCases> definite_articles;
  // [case][slot] endings appended to adjective stems under agreement.
  std::array<std::array<std::string, kAgreementSlots>, kCases> adjective_endings;
  // [number: 0 singular, 1 plural] endings appended to nouns in the oblique case.
  std::array<std::string, 2> noun_case_endings;
};

// The lexicon of `language`: the preset's real words where it has a preset, generated words
// (from `lexicon_seed`) for everything else.
Lexicon BuildLexicon(const LanguageOptions& language);

// Appends an ending, dropping a doubled vowel at the seam ("rouge" + "e" = "rouge").
std::string Inflect(const std::string& stem, const std::string& ending);

}  // namespace florenz::data
