// Caption realisation and parsing (see language.h). The rules read the typology: adjective
// position, articles and gender, agreement, number marking (suffix, none, classifier), case
// endings on the object of a relation, prepositions or postpositions.
#include "workers/data/language.h"

#include <algorithm>
#include <set>

namespace florenz::data {

Language::Language(const LanguageOptions& options)
    : options_(options), lexicon_(BuildLexicon(options)) {
  Index();
}

std::string Language::Adjective(const std::string& stem, Case grammatical_case, int slot) const {
  if (!options_.agreement) return stem;
  return Inflect(stem, lexicon_.adjective_endings[static_cast<int>(grammatical_case)][slot]);
}

std::vector<std::string> Language::NounPhrase(const Attributes& a, int count,
                                              Case grammatical_case) const {
  const Noun& noun = lexicon_.shapes[static_cast<int>(a.shape)];
  const int gender = options_.genders > 0 ? noun.gender : 0;
  const int slot = count > 1 ? kPluralSlot : gender;
  const int c = static_cast<int>(grammatical_case);
  std::vector<std::string> words;
  if (count == 1) {
    const std::string article = options_.articles == Articles::kDefinite
                                    ? lexicon_.definite_articles[c][gender]
                                : options_.articles == Articles::kIndefiniteDefinite
                                    ? lexicon_.indefinite_articles[c][gender]
                                    : "";
    if (!article.empty()) words.push_back(article);
  } else {
    words.push_back(lexicon_.numerals[count - 2]);
    if (options_.number == NumberMarking::kClassifier) words.push_back(lexicon_.classifier);
  }
  std::string head =
      count > 1 && options_.number == NumberMarking::kSuffix ? noun.plural : noun.singular;
  if (grammatical_case == Case::kOblique && options_.case_marking == CaseMarking::kSuffix) {
    head = Inflect(head, lexicon_.noun_case_endings[count > 1 ? 1 : 0]);
  }
  const std::string size =
      Adjective(lexicon_.sizes[static_cast<int>(a.size)], grammatical_case, slot);
  const std::string colour =
      Adjective(lexicon_.colours[static_cast<int>(a.colour)], grammatical_case, slot);
  if (options_.adjective_position == AdjectivePosition::kBefore) {
    words.insert(words.end(), {size, colour, head});
  } else {
    words.insert(words.end(), {head, colour, size});
  }
  return words;
}

std::vector<std::string> Language::Caption(const std::vector<Clause>& clauses,
                                           int paraphrase) const {
  std::vector<Clause> ordered = clauses;
  if (paraphrase & 2) std::reverse(ordered.begin(), ordered.end());
  std::vector<std::string> words = lexicon_.prefix;
  for (size_t i = 0; i < ordered.size(); ++i) {
    Clause c = ordered[i];
    if (i > 0) words.push_back(lexicon_.conjunction);
    if (c.kind == Clause::Kind::kGroup) {
      const auto np = NounPhrase(c.first, c.count, Case::kPlain);
      words.insert(words.end(), np.begin(), np.end());
      continue;
    }
    if (paraphrase & 1) {
      std::swap(c.first, c.second);
      c.relation = Converse(c.relation);
    }
    const auto subject = NounPhrase(c.first, 1, Case::kPlain);
    const auto object = NounPhrase(c.second, 1, Case::kOblique);
    const auto& relation = lexicon_.relations[static_cast<int>(c.relation)];
    words.insert(words.end(), subject.begin(), subject.end());
    if (options_.relation_order == RelationOrder::kPreposition) {
      words.insert(words.end(), relation.begin(), relation.end());
      words.insert(words.end(), object.begin(), object.end());
    } else {
      words.insert(words.end(), object.begin(), object.end());
      words.insert(words.end(), relation.begin(), relation.end());
    }
  }
  return words;
}

void Language::Index() {
  auto add = [&](const std::string& word, Meaning::Kind kind, int value, bool plural = false) {
    if (!word.empty()) meanings_.insert({word, Meaning{kind, value, plural}});
  };
  for (int s = 0; s < kShapes; ++s) {
    const Noun& n = lexicon_.shapes[s];
    add(n.singular, Meaning::kNoun, s, false);
    add(n.plural, Meaning::kNoun, s, true);
    add(Inflect(n.singular, lexicon_.noun_case_endings[0]), Meaning::kNoun, s, false);
    add(Inflect(n.plural, lexicon_.noun_case_endings[1]), Meaning::kNoun, s, true);
  }
  for (int c = 0; c < kCases; ++c) {
    for (int slot = 0; slot < kAgreementSlots; ++slot) {
      for (int k = 0; k < kColours; ++k) {
        add(lexicon_.colours[k], Meaning::kColour, k);
        add(Inflect(lexicon_.colours[k], lexicon_.adjective_endings[c][slot]), Meaning::kColour, k);
      }
      for (int k = 0; k < kObjectSizes; ++k) {
        add(lexicon_.sizes[k], Meaning::kSize, k);
        add(Inflect(lexicon_.sizes[k], lexicon_.adjective_endings[c][slot]), Meaning::kSize, k);
      }
    }
    for (int g = 0; g < 3; ++g) {
      add(lexicon_.indefinite_articles[c][g], Meaning::kArticle, 0);
      add(lexicon_.definite_articles[c][g], Meaning::kArticle, 1);
    }
  }
  add(lexicon_.numerals[0], Meaning::kNumeral, 2);
  add(lexicon_.numerals[1], Meaning::kNumeral, 3);
  add(lexicon_.classifier, Meaning::kClassifier, 0);
  for (int r = 0; r < kRelations; ++r) {
    for (const auto& w : lexicon_.relations[r]) add(w, Meaning::kRelationWord, r);
  }
  // Duplicate (word, meaning) entries from forms that coincide are harmless for lookups.
  for (const auto& entry : meanings_) words_.insert(entry.first);
  words_.insert(lexicon_.conjunction);
  words_.insert(lexicon_.prefix.begin(), lexicon_.prefix.end());
}

int Language::LongestCaption(int max_objects) const {
  // Noun phrases have a fixed length per count (one word per adjective), so the longest
  // caption is a small dynamic programme over how the objects split into clauses.
  Attributes a;
  auto np = [&](int count, Case c) { return static_cast<int>(NounPhrase(a, count, c).size()); };
  size_t relation = 0;
  for (const auto& r : lexicon_.relations) relation = std::max(relation, r.size());
  std::vector<int> longest(max_objects + 1, 0);  // longest body using exactly k objects
  for (int k = 1; k <= max_objects; ++k) {
    int best = 0;
    for (int count = 1; count <= std::min(3, k); ++count) {
      best = std::max(best, np(count, Case::kPlain) + (k > count ? 1 + longest[k - count] : 0));
    }
    if (k >= 2) {
      const int clause = np(1, Case::kPlain) + np(1, Case::kOblique) + static_cast<int>(relation);
      best = std::max(best, clause + (k > 2 ? 1 + longest[k - 2] : 0));
    }
    longest[k] = best;
  }
  return static_cast<int>(lexicon_.prefix.size()) + longest[max_objects];
}

std::vector<std::string> Language::AllWords() const { return {words_.begin(), words_.end()}; }

Shape Language::ShapeClass(Shape shape) const {
  const std::string& word = lexicon_.shapes[static_cast<int>(shape)].singular;
  for (int s = 0; s < kShapes; ++s) {
    if (lexicon_.shapes[s].singular == word) return static_cast<Shape>(s);
  }
  return shape;
}

std::optional<std::pair<Attributes, int>> Language::ParseNounPhrase(
    const std::vector<std::string>& words) const {
  std::optional<int> shape, colour, size;
  int count = 1;
  for (const auto& w : words) {
    auto [begin, end] = meanings_.equal_range(w);
    if (begin == end) return std::nullopt;
    // A word's first meaning decides (the lexicon keeps categories apart).
    const Meaning& m = begin->second;
    switch (m.kind) {
      case Meaning::kNoun:
        if (shape) return std::nullopt;
        shape = m.value;
        break;
      case Meaning::kColour:
        if (colour) return std::nullopt;
        colour = m.value;
        break;
      case Meaning::kSize:
        if (size) return std::nullopt;
        size = m.value;
        break;
      case Meaning::kNumeral:
        count = m.value;
        break;
      case Meaning::kClassifier:
      case Meaning::kArticle:
        break;
      case Meaning::kRelationWord:
        return std::nullopt;
    }
  }
  if (!shape || !colour || !size) return std::nullopt;
  Attributes a;
  a.shape = ShapeClass(static_cast<Shape>(*shape));
  a.colour = static_cast<Colour>(*colour);
  a.size = static_cast<ObjectSize>(*size);
  return std::make_pair(a, count);
}

namespace {

// The relation clause "first <relation> second".
Clause RelationClause(const Attributes& first, const Attributes& second, int relation) {
  Clause c;
  c.kind = Clause::Kind::kRelation;
  c.first = first;
  c.second = second;
  c.relation = static_cast<Relation>(relation);
  return c;
}

}  // namespace

std::optional<Clause> Language::ParseClause(const std::vector<std::string>& words) const {
  // Find a relation phrase: the longest run of relation words of one relation.
  for (int r = 0; r < kRelations; ++r) {
    const auto& phrase = lexicon_.relations[r];
    if (phrase.empty() || phrase.size() > words.size()) continue;
    for (size_t at = 0; at + phrase.size() <= words.size(); ++at) {
      if (!std::equal(phrase.begin(), phrase.end(), words.begin() + at)) continue;
      std::vector<std::string> before(words.begin(), words.begin() + at);
      std::vector<std::string> after(words.begin() + at + phrase.size(), words.end());
      std::vector<std::string> subject, object;
      if (options_.relation_order == RelationOrder::kPreposition) {
        subject = before;
        object = after;
      } else {
        if (!after.empty()) continue;
        // Postpositions: subject and object are adjacent noun phrases; split after the first
        // noun phrase's head (noun first or last, by adjective position).
        for (size_t split = 1; split < before.size(); ++split) {
          auto a = ParseNounPhrase({before.begin(), before.begin() + split});
          auto b = ParseNounPhrase({before.begin() + split, before.end()});
          if (a && b && a->second == 1 && b->second == 1) {
            return RelationClause(a->first, b->first, r);
          }
        }
        continue;
      }
      auto a = ParseNounPhrase(subject);
      auto b = ParseNounPhrase(object);
      if (!a || !b || a->second != 1 || b->second != 1) continue;
      return RelationClause(a->first, b->first, r);
    }
  }
  auto group = ParseNounPhrase(words);
  if (!group) return std::nullopt;
  Clause c;
  c.kind = Clause::Kind::kGroup;
  c.first = group->first;
  c.count = group->second;
  return c;
}

std::optional<std::vector<Clause>> Language::Parse(const std::vector<std::string>& words) const {
  const auto& prefix = lexicon_.prefix;
  if (words.size() < prefix.size() || !std::equal(prefix.begin(), prefix.end(), words.begin())) {
    return std::nullopt;
  }
  std::vector<Clause> clauses;
  std::vector<std::string> current;
  auto flush = [&]() {
    auto clause = ParseClause(current);
    if (!clause) return false;
    clauses.push_back(*clause);
    current.clear();
    return true;
  };
  for (size_t i = prefix.size(); i < words.size(); ++i) {
    if (words[i] == lexicon_.conjunction) {
      if (!flush()) return std::nullopt;
    } else {
      current.push_back(words[i]);
    }
  }
  if (!flush()) return std::nullopt;
  return clauses;
}

}  // namespace florenz::data
