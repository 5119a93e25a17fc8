// The preset languages. The typology approximates the paper's six languages; lexicons
// (real-word for the presets) live with the data generator in workers/data.
#include "experiments/language_options.h"

#include "experiments/did_you_mean.h"

namespace florenz {
namespace {

LanguageOptions Preset(const std::string& name, RelationOrder relation, AdjectivePosition adjective,
                       Articles articles, int genders, bool agreement, NumberMarking number,
                       CaseMarking case_marking, int64_t seed, const std::string& prefix) {
  LanguageOptions l;
  l.name = name;
  l.preset = name;
  l.relation_order = relation;
  l.adjective_position = adjective;
  l.articles = articles;
  l.genders = genders;
  l.agreement = agreement;
  l.number = number;
  l.case_marking = case_marking;
  l.lexicon_seed = seed;
  l.prefix = prefix;
  return l;
}

}  // namespace

const std::vector<LanguageOptions>& LanguagePresets() {
  using R = RelationOrder;
  using A = AdjectivePosition;
  static const std::vector<LanguageOptions> presets{
      Preset("en", R::kPreposition, A::kBefore, Articles::kIndefiniteDefinite, 0, false,
             NumberMarking::kSuffix, CaseMarking::kNone, 1, "the image shows"),
      Preset("de", R::kPreposition, A::kBefore, Articles::kIndefiniteDefinite, 3, true,
             NumberMarking::kSuffix, CaseMarking::kSuffix, 2, "das bild zeigt"),
      Preset("fr", R::kPreposition, A::kAfter, Articles::kIndefiniteDefinite, 2, true,
             NumberMarking::kSuffix, CaseMarking::kNone, 3, "l'image montre"),
      Preset("es", R::kPreposition, A::kAfter, Articles::kIndefiniteDefinite, 2, true,
             NumberMarking::kSuffix, CaseMarking::kNone, 4, "la imagen muestra"),
      Preset("ru", R::kPreposition, A::kBefore, Articles::kNone, 3, true, NumberMarking::kSuffix,
             CaseMarking::kSuffix, 5, "на изображении"),
      Preset("zh", R::kPostposition, A::kBefore, Articles::kNone, 0, false,
             NumberMarking::kClassifier, CaseMarking::kNone, 6, "图 为"),
  };
  return presets;
}

std::vector<std::string> LanguagePresetNames() {
  std::vector<std::string> names;
  for (const auto& l : LanguagePresets()) names.push_back(l.name);
  return names;
}

bool LanguageOptions::ApplyPreset(const std::string& preset_name, std::string* error) {
  for (const auto& l : LanguagePresets()) {
    if (l.name == preset_name) {
      *this = l;
      return true;
    }
  }
  std::string known;
  for (const auto& n : LanguagePresetNames()) known += (known.empty() ? "" : ", ") + n;
  *error = "unknown language preset '" + preset_name + "'" +
           DidYouMean(preset_name, LanguagePresetNames()) + "; presets: " + known;
  return false;
}

}  // namespace florenz
