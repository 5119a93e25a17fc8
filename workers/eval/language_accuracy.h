// Output-language identification: which of the grid's languages a generated word sequence is
// in, and per (task, language) pair the share of sequences in the requested language with the
// confusion over the others — the paper's "answers in German or English instead".
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "workers/data/language.h"

namespace florenz::eval {

// Detected language of a sequence that no single lexicon covers (or that is empty).
constexpr int kMixedOrUnknown = -1;

// One sequence's identification.
struct LanguageIdentification {
  // Index into the grid's languages, or kMixedOrUnknown.
  int language = kMixedOrUnknown;
  // Words judged: the sequence less the decoder prefix when it was forced.
  int words = 0;
  // Per language (grid order): the share of the judged words in its lexicon, in [0, 1]
  // (0 for an empty sequence).
  std::vector<double> shares;
};

// Accuracy and confusion of one pair's generated sequences.
struct LanguageAccuracy {
  // The requested language (index into the grid's languages).
  int requested = 0;
  int64_t sequences = 0;
  // Share of the sequences identified as the requested language (0 when there are none).
  double accuracy = 0.0;
  // Sequences per detected language: one entry per grid language, then "mixed/unknown";
  // `labels` names them (language names, then "mixed").
  std::vector<int64_t> confusion;
  std::vector<std::string> labels;
};

// The lexicons of the grid's languages (every word each can produce, Language::AllWords:
// articles, nouns, inflected adjectives, numerals, relation words, the conjunction and the
// prefix), indexed once for identification.
class LanguageIdentifier {
 public:
  explicit LanguageIdentifier(const std::vector<data::Language>& languages);

  int languages() const { return static_cast<int>(names_.size()); }
  const std::string& name(int language) const { return names_[language]; }

  // Identifies `words`, produced for language `requested`. With `prefix_forced`, a leading
  // copy of the requested language's decoder prefix is not judged (the model did not choose
  // it). The sequence is in language L when every judged word is in L's lexicon; when
  // several lexicons cover it all (shared words: "orange", numerals written alike, a lone
  // word), the requested language wins if among them, else the first in grid order. A
  // sequence no lexicon covers, or with no judged word, is kMixedOrUnknown.
  LanguageIdentification Identify(const std::vector<std::string>& words, int requested,
                                  bool prefix_forced) const;

  // Identifies every sequence of a pair and tallies accuracy and confusion.
  LanguageAccuracy Score(const std::vector<std::vector<std::string>>& sequences, int requested,
                         bool prefix_forced) const;

 private:
  std::vector<std::string> names_;
  std::vector<std::vector<std::string>> prefixes_;
  std::vector<std::unordered_set<std::string>> lexicons_;
};

}  // namespace florenz::eval
