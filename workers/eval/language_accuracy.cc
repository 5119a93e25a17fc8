// Output-language identification by lexicon coverage (see language_accuracy.h). Lexicons
// overlap a little across the presets, so identification asks for full coverage and breaks
// ties toward the language the model was asked for.
#include "workers/eval/language_accuracy.h"

#include <algorithm>

#include "core/errors.h"

namespace florenz::eval {

LanguageIdentifier::LanguageIdentifier(const std::vector<data::Language>& languages) {
  for (const auto& language : languages) {
    names_.push_back(language.name());
    prefixes_.push_back(language.Prefix());
    const auto words = language.AllWords();
    lexicons_.emplace_back(words.begin(), words.end());
  }
}

LanguageIdentification LanguageIdentifier::Identify(const std::vector<std::string>& words,
                                                    int requested, bool prefix_forced) const {
  if (requested < 0 || requested >= languages()) {
    throw RunError("language identification: requested language " + std::to_string(requested) +
                   " of " + std::to_string(languages()));
  }
  auto begin = words.begin();
  const auto& prefix = prefixes_[requested];
  if (prefix_forced && words.size() >= prefix.size() &&
      std::equal(prefix.begin(), prefix.end(), words.begin())) {
    begin += static_cast<std::ptrdiff_t>(prefix.size());
  }
  LanguageIdentification id;
  id.words = static_cast<int>(words.end() - begin);
  id.shares.assign(languages(), 0.0);
  if (id.words == 0) return id;

  std::vector<int> covered(languages(), 0);
  for (auto it = begin; it != words.end(); ++it) {
    for (int l = 0; l < languages(); ++l) covered[l] += lexicons_[l].count(*it) > 0;
  }
  for (int l = 0; l < languages(); ++l) id.shares[l] = static_cast<double>(covered[l]) / id.words;
  if (covered[requested] == id.words) {
    id.language = requested;
  } else {
    for (int l = 0; l < languages() && id.language == kMixedOrUnknown; ++l) {
      if (covered[l] == id.words) id.language = l;
    }
  }
  return id;
}

LanguageAccuracy LanguageIdentifier::Score(const std::vector<std::vector<std::string>>& sequences,
                                           int requested, bool prefix_forced) const {
  LanguageAccuracy result;
  result.requested = requested;
  result.sequences = static_cast<int64_t>(sequences.size());
  result.confusion.assign(languages() + 1, 0);
  result.labels = names_;
  result.labels.push_back("mixed");
  for (const auto& words : sequences) {
    const int detected = Identify(words, requested, prefix_forced).language;
    ++result.confusion[detected == kMixedOrUnknown ? languages() : detected];
  }
  if (result.sequences > 0) {
    result.accuracy = static_cast<double>(result.confusion[requested]) / result.sequences;
  }
  return result;
}

}  // namespace florenz::eval
