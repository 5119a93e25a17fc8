// Output-language identification for a corpus's languages, which florenz has no lexicon of:
// a character n-gram classifier (1- to 3-grams of code points, the text padded with a space at
// each end) trained on the corpus's own texts — multinomial naive Bayes with add-one smoothing
// and equal priors, so that a language's share of the corpus does not tilt the verdict. Its own
// accuracy is measured on held-out texts and reported beside the accuracies it produces.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace florenz::eval {

struct LabeledText {
  std::string language;
  std::string text;
};

class NgramLanguageIdentifier {
 public:
  // Counts the n-grams of every text per language. max_n in [1, 5].
  static NgramLanguageIdentifier Train(const std::vector<LabeledText>& texts, int max_n = 3);

  // The most likely language of `text` (ties: the first in name order); "" when the model
  // knows no language.
  std::string Identify(const std::string& text) const;
  // The languages it knows, sorted.
  const std::vector<std::string>& languages() const { return languages_; }

 private:
  int max_n_ = 3;
  std::vector<std::string> languages_;
  std::vector<std::unordered_map<std::string, int64_t>> counts_;  // per language
  std::vector<int64_t> totals_;
  int64_t vocabulary_ = 0;  // distinct n-grams over all languages
};

struct LanguageIdentifierReport {
  NgramLanguageIdentifier model;  // trained on every text
  double held_out_accuracy = 0;   // of a model trained without every tenth text, on those
  int64_t held_out = 0;           // texts in the held-out tenth
};

// Holds out texts 9, 19, 29, … (by position), trains on the rest, measures accuracy on them,
// then trains the model it returns on all texts.
LanguageIdentifierReport TrainLanguageIdentifier(const std::vector<LabeledText>& texts,
                                                 int max_n = 3);

}  // namespace florenz::eval
