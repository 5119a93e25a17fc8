// The character n-gram language identifier (ngram_language_id.h).
#include "workers/eval/ngram_language_id.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <unordered_set>

namespace florenz::eval {
namespace {

// The code points of `text` as UTF-8 substrings, padded with a space at each end.
std::vector<std::string> Characters(const std::string& text) {
  std::vector<std::string> chars = {" "};
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    length = std::min(length, text.size() - i);
    chars.push_back(text.substr(i, length));
    i += length;
  }
  chars.push_back(" ");
  return chars;
}

template <class F>
void ForEachNgram(const std::string& text, int max_n, F&& f) {
  const std::vector<std::string> chars = Characters(text);
  for (size_t i = 0; i < chars.size(); ++i) {
    std::string gram;
    for (int n = 1; n <= max_n && i + n <= chars.size(); ++n) {
      gram += chars[i + n - 1];
      f(gram);
    }
  }
}

}  // namespace

NgramLanguageIdentifier NgramLanguageIdentifier::Train(const std::vector<LabeledText>& texts,
                                                       int max_n) {
  if (max_n < 1 || max_n > 5) throw std::invalid_argument("n-gram order must be 1 to 5");
  NgramLanguageIdentifier model;
  model.max_n_ = max_n;
  std::set<std::string> names;
  for (const LabeledText& t : texts) names.insert(t.language);
  model.languages_.assign(names.begin(), names.end());
  model.counts_.resize(model.languages_.size());
  model.totals_.assign(model.languages_.size(), 0);
  std::unordered_set<std::string> vocabulary;
  for (const LabeledText& t : texts) {
    const size_t l =
        std::lower_bound(model.languages_.begin(), model.languages_.end(), t.language) -
        model.languages_.begin();
    ForEachNgram(t.text, max_n, [&](const std::string& gram) {
      ++model.counts_[l][gram];
      ++model.totals_[l];
      vocabulary.insert(gram);
    });
  }
  model.vocabulary_ = static_cast<int64_t>(vocabulary.size());
  return model;
}

std::string NgramLanguageIdentifier::Identify(const std::string& text) const {
  if (languages_.empty()) return "";
  std::vector<double> score(languages_.size(), 0.0);
  ForEachNgram(text, max_n_, [&](const std::string& gram) {
    for (size_t l = 0; l < languages_.size(); ++l) {
      const auto it = counts_[l].find(gram);
      const double count = it == counts_[l].end() ? 0.0 : static_cast<double>(it->second);
      score[l] += std::log((count + 1.0) / static_cast<double>(totals_[l] + vocabulary_));
    }
  });
  return languages_[std::max_element(score.begin(), score.end()) - score.begin()];
}

LanguageIdentifierReport TrainLanguageIdentifier(const std::vector<LabeledText>& texts, int max_n) {
  std::vector<LabeledText> train, held;
  for (size_t i = 0; i < texts.size(); ++i) (i % 10 == 9 ? held : train).push_back(texts[i]);
  LanguageIdentifierReport report;
  if (!held.empty() && !train.empty()) {
    const NgramLanguageIdentifier partial = NgramLanguageIdentifier::Train(train, max_n);
    int64_t right = 0;
    for (const LabeledText& t : held) right += partial.Identify(t.text) == t.language;
    report.held_out = static_cast<int64_t>(held.size());
    report.held_out_accuracy = static_cast<double>(right) / static_cast<double>(held.size());
  }
  report.model = NgramLanguageIdentifier::Train(texts, max_n);
  return report;
}

}  // namespace florenz::eval
