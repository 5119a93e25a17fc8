// A language of the synthetic data: typological parameters plus how its lexicon is made.
// Presets approximate the paper's languages (en, de, fr, es, ru, zh); a grid may override any
// parameter of a preset or define a new language from scratch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/spec_enums.h"

namespace florenz {

struct LanguageOptions {
  // Language code used in tokens (`<lang_xx>`), pair names (`caption_xx`) and run ids:
  // 2–8 lowercase letters. Defaults to the preset's name.
  std::string name;
  // Preset this language starts from ("" for none). Keys given next to it override it.
  std::string preset;

  // Relation phrase: "left of the circle" (preposition) or "the circle left-of" (postposition).
  RelationOrder relation_order = RelationOrder::kPreposition;
  // Adjectives before the noun (English) or after it (French, Spanish).
  AdjectivePosition adjective_position = AdjectivePosition::kBefore;
  // Article system; gendered when `genders` > 0.
  Articles articles = Articles::kIndefiniteDefinite;
  // Number of grammatical genders, 0–3. Nouns get a gender from the lexicon seed.
  int genders = 0;
  // Adjectives and articles agree with the noun's gender and number.
  bool agreement = false;
  // Plural marking: none (Chinese), a suffix, or a classifier after the numeral.
  NumberMarking number = NumberMarking::kSuffix;
  // Case endings on nouns in relation phrases (Russian-like), or none.
  CaseMarking case_marking = CaseMarking::kNone;
  // Seed of the generated lexicon (for languages without a real-word preset lexicon).
  int64_t lexicon_seed = 0;
  // The decoder prefix: the language's words for "the image shows", space-separated.
  // Empty: generated from the lexicon.
  std::string prefix;

  template <class V>
  void VisitFields(V& v) {
    v("name", name);
    v("preset", preset);
    v("relation_order", relation_order);
    v("adjective_position", adjective_position);
    v("articles", articles);
    v("genders", genders);
    v("agreement", agreement);
    v("number", number);
    v("case", case_marking);
    v("lexicon_seed", lexicon_seed);
    v("prefix", prefix);
  }

  // Loads preset `preset_name` into this language (name included). False and a message
  // naming the known presets when there is no such preset.
  bool ApplyPreset(const std::string& preset_name, std::string* error);
};

// The preset languages: en, de, fr, es, ru, zh.
const std::vector<LanguageOptions>& LanguagePresets();
std::vector<std::string> LanguagePresetNames();

}  // namespace florenz
