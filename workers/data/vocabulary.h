// The shared word-level vocabulary of all the grid's languages: special tokens, one
// `<lang_xx>` per language, then every word any language can produce, sorted. Ids are a pure
// function of the data spec, so every rank and every resumed run agrees on them.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "workers/data/language.h"

namespace florenz::data {

class Vocabulary {
 public:
  static constexpr int32_t kPad = 0;
  static constexpr int32_t kBos = 1;
  static constexpr int32_t kEos = 2;
  static constexpr int32_t kUnk = 3;
  static constexpr int32_t kCaption = 4;
  static constexpr int32_t kTranslate = 5;
  static constexpr int32_t kFirstLanguage = 6;

  explicit Vocabulary(const std::vector<Language>& languages);

  // Tokens in use (not padded).
  int size() const { return static_cast<int>(tokens_.size()); }
  // size() rounded up to a multiple of `multiple` (e.g. 64 × tensor_parallel).
  int PaddedSize(int multiple) const;

  int32_t Id(const std::string& token) const;  // kUnk when unknown
  const std::string& Token(int32_t id) const;
  int32_t LanguageToken(int language_index) const { return kFirstLanguage + language_index; }

  std::vector<int32_t> Encode(const std::vector<std::string>& words) const;
  // Words of `ids`, stopping at <eos>, skipping <pad> and <bos>.
  std::vector<std::string> Decode(const std::vector<int32_t>& ids) const;

 private:
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int32_t> ids_;
};

}  // namespace florenz::data
