// The shared vocabulary (see vocabulary.h).
#include "workers/data/vocabulary.h"

#include <set>

namespace florenz::data {

Vocabulary::Vocabulary(const std::vector<Language>& languages) {
  tokens_ = {"<pad>", "<bos>", "<eos>", "<unk>", "<caption>", "<translate>"};
  for (const auto& language : languages) tokens_.push_back("<lang_" + language.name() + ">");
  std::set<std::string> words;
  for (const auto& language : languages) {
    for (const auto& w : language.AllWords()) words.insert(w);
  }
  tokens_.insert(tokens_.end(), words.begin(), words.end());
  for (size_t i = 0; i < tokens_.size(); ++i) ids_[tokens_[i]] = static_cast<int32_t>(i);
}

int Vocabulary::PaddedSize(int multiple) const {
  if (multiple <= 1) return size();
  return (size() + multiple - 1) / multiple * multiple;
}

int32_t Vocabulary::Id(const std::string& token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? kUnk : it->second;
}

const std::string& Vocabulary::Token(int32_t id) const {
  static const std::string kOutOfRange = "<out-of-range>";
  if (id < 0 || id >= size()) return kOutOfRange;
  return tokens_[id];
}

std::vector<int32_t> Vocabulary::Encode(const std::vector<std::string>& words) const {
  std::vector<int32_t> ids;
  ids.reserve(words.size());
  for (const auto& w : words) ids.push_back(Id(w));
  return ids;
}

std::vector<std::string> Vocabulary::Decode(const std::vector<int32_t>& ids) const {
  std::vector<std::string> words;
  for (const int32_t id : ids) {
    if (id == kEos) break;
    if (id == kPad || id == kBos) continue;
    words.push_back(Token(id));
  }
  return words;
}

}  // namespace florenz::data
