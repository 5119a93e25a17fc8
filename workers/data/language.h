// A language of the synthetic data: typology (experiments/language_options.h) plus lexicon
// (lexicon.h), and the rules that turn a scene graph into a caption in that language — never
// per-sentence templates — and, for any language, the parser that reads a caption back.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "experiments/language_options.h"
#include "workers/data/lexicon.h"
#include "workers/data/scene.h"

namespace florenz::data {

// Paraphrase patterns: bit 0 states each relation from the other object ("B right of A"),
// bit 1 reverses the clause order. Every language realises the same pattern for a sample, so
// a translation pair says the same thing the same way.
constexpr int kParaphrases = 4;

class Language {
 public:
  explicit Language(const LanguageOptions& options);

  const std::string& name() const { return options_.name; }
  const LanguageOptions& options() const { return options_; }
  const Lexicon& lexicon() const { return lexicon_; }

  // The caption of a scene graph: the prefix ("the image shows"), then its clauses joined by
  // the conjunction, in paraphrase pattern `paraphrase` (0 … kParaphrases-1).
  std::vector<std::string> Caption(const std::vector<Clause>& clauses, int paraphrase) const;
  // The decoder prefix: this language's words for "the image shows".
  const std::vector<std::string>& Prefix() const { return lexicon_.prefix; }

  // Reads a caption back into a scene graph; nullopt when it is not a well-formed caption of
  // this language. Shapes that share a word (English "bow", "bat") come back as the first
  // shape with that word; compare through ShapeClass.
  std::optional<std::vector<Clause>> Parse(const std::vector<std::string>& words) const;
  // The first shape whose noun is the same word as `shape`'s in this language.
  Shape ShapeClass(Shape shape) const;

  // Words of the longest caption of a scene with at most `max_objects` objects.
  int LongestCaption(int max_objects) const;

  // Every word this language can produce, sorted (for the shared vocabulary).
  std::vector<std::string> AllWords() const;
  // Does `word` belong to this language's lexicon?
  bool HasWord(const std::string& word) const { return words_.count(word) > 0; }

 private:
  struct Meaning {
    enum Kind { kNoun, kColour, kSize, kNumeral, kClassifier, kArticle, kRelationWord };
    Kind kind;
    int value;
    bool plural = false;
  };

  std::vector<std::string> NounPhrase(const Attributes& a, int count, Case grammatical_case) const;
  std::string Adjective(const std::string& stem, Case grammatical_case, int slot) const;
  void Index();
  std::optional<Clause> ParseClause(const std::vector<std::string>& words) const;
  std::optional<std::pair<Attributes, int>> ParseNounPhrase(
      const std::vector<std::string>& words) const;

  LanguageOptions options_;
  Lexicon lexicon_;
  std::multimap<std::string, Meaning> meanings_;
  std::set<std::string> words_;  // every word: meanings, the conjunction and the prefix
};

}  // namespace florenz::data
