// Caption scoring by parsing (see caption_scoring.h): both graphs are brought to canonical
// form with shapes mapped to their word class, then compared as sorted multisets.
#include "workers/eval/caption_scoring.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <tuple>

#include "core/errors.h"

namespace florenz::eval {
namespace {

using data::Attributes;
using data::Clause;

bool ClauseLess(const Clause& a, const Clause& b) {
  return std::tie(a.kind, a.first, a.count, a.relation, a.second) <
         std::tie(b.kind, b.first, b.count, b.relation, b.second);
}

std::vector<Clause> ByClass(const data::Language& language, std::vector<Clause> clauses) {
  for (auto& c : clauses) {
    c.first.shape = language.ShapeClass(c.first.shape);
    c.second.shape = language.ShapeClass(c.second.shape);
  }
  return data::CanonicalGraph(clauses);
}

std::vector<Attributes> Objects(const std::vector<Clause>& graph) {
  std::vector<Attributes> objects;
  for (const auto& c : graph) {
    if (c.kind == Clause::Kind::kGroup) {
      objects.insert(objects.end(), c.count, c.first);
    } else {
      objects.push_back(c.first);
      objects.push_back(c.second);
    }
  }
  std::sort(objects.begin(), objects.end());
  return objects;
}

// Size of the multiset intersection of two sorted ranges.
template <class T, class Less = std::less<T>>
int CommonCount(const std::vector<T>& a, const std::vector<T>& b, Less less = Less()) {
  std::vector<T> common;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(common), less);
  return static_cast<int>(common.size());
}

template <class F>
auto SortedField(const std::vector<Attributes>& objects, F field) {
  std::vector<decltype(field(objects.front()))> values;
  for (const auto& o : objects) values.push_back(field(o));
  std::sort(values.begin(), values.end());
  return values;
}

std::vector<Clause> Relations(const std::vector<Clause>& graph) {
  std::vector<Clause> relations;
  for (const auto& c : graph) {
    if (c.kind == Clause::Kind::kRelation) relations.push_back(c);
  }
  std::sort(relations.begin(), relations.end(), ClauseLess);
  return relations;
}

double Ratio(int num, int den) { return den > 0 ? static_cast<double>(num) / den : 0.0; }

}  // namespace

CaptionMetrics CompareGraphs(const data::Language& language, const std::vector<Clause>& generated,
                             const std::vector<Clause>& reference) {
  const auto hyp = ByClass(language, generated);
  const auto ref = ByClass(language, reference);
  CaptionMetrics m;
  m.parsed = true;
  m.exact = hyp.size() == ref.size() && std::equal(hyp.begin(), hyp.end(), ref.begin());

  const auto hyp_objects = Objects(hyp);
  const auto ref_objects = Objects(ref);
  const int matched = CommonCount(hyp_objects, ref_objects);
  m.object_precision = Ratio(matched, static_cast<int>(hyp_objects.size()));
  m.object_recall = Ratio(matched, static_cast<int>(ref_objects.size()));

  const int larger = static_cast<int>(std::max(hyp_objects.size(), ref_objects.size()));
  auto colour = [](const Attributes& a) { return a.colour; };
  auto shape = [](const Attributes& a) { return a.shape; };
  m.colour_accuracy = Ratio(
      CommonCount(SortedField(hyp_objects, colour), SortedField(ref_objects, colour)), larger);
  m.shape_accuracy =
      Ratio(CommonCount(SortedField(hyp_objects, shape), SortedField(ref_objects, shape)), larger);

  const auto ref_relations = Relations(ref);
  m.reference_relations = static_cast<int>(ref_relations.size());
  m.relations_right = CommonCount(Relations(hyp), ref_relations, ClauseLess);
  return m;
}

CaptionMetrics ScoreCaption(const data::Language& language, const std::vector<std::string>& words,
                            const std::vector<Clause>& reference) {
  const auto parsed = language.Parse(words);
  if (!parsed) {
    CaptionMetrics m;
    m.reference_relations = static_cast<int>(Relations(reference).size());
    return m;
  }
  return CompareGraphs(language, *parsed, reference);
}

CaptionScores ScoreCaptions(const data::Language& language,
                            const std::vector<std::vector<std::string>>& captions,
                            const std::vector<std::vector<Clause>>& references) {
  if (captions.size() != references.size()) {
    throw RunError("caption scoring: " + std::to_string(captions.size()) + " captions but " +
                   std::to_string(references.size()) + " references");
  }
  CaptionScores s;
  int64_t relations_right = 0;
  for (size_t i = 0; i < captions.size(); ++i) {
    const CaptionMetrics m = ScoreCaption(language, captions[i], references[i]);
    ++s.captions;
    s.unparsable += !m.parsed;
    s.exact += m.exact;
    s.object_precision += m.object_precision;
    s.object_recall += m.object_recall;
    s.colour_accuracy += m.colour_accuracy;
    s.shape_accuracy += m.shape_accuracy;
    s.reference_relations += m.reference_relations;
    relations_right += m.relations_right;
  }
  if (s.captions > 0) {
    const double n = static_cast<double>(s.captions);
    s.exact_match = s.exact / n;
    s.object_precision /= n;
    s.object_recall /= n;
    s.colour_accuracy /= n;
    s.shape_accuracy /= n;
  }
  if (s.reference_relations > 0) {
    s.relation_accuracy = static_cast<double>(relations_right) / s.reference_relations;
  }
  return s;
}

}  // namespace florenz::eval
