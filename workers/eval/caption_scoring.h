// Exact-match and attribute accuracy of generated captions: a caption is parsed back into a
// scene graph (Language::Parse) and compared with the reference graph, so the score says
// whether the model saw the image, which BLEU does not.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workers/data/language.h"
#include "workers/data/scene.h"

namespace florenz::eval {

// One caption against its reference scene graph. Shapes are compared through the
// language's ShapeClass, so English "bow"/"bat" are not penalised for the sense the words
// cannot tell apart. Objects are (shape, colour, size) triples: a group clause contributes
// `count` copies, a relation clause its two objects; multisets are compared with
// multiplicity. An unparsable caption scores 0 on every field.
struct CaptionMetrics {
  bool parsed = false;
  // The canonical graphs are equal.
  bool exact = false;
  // Matched objects (multiset intersection of triples) over generated objects (0 when none)
  // and over reference objects.
  double object_precision = 0.0;
  double object_recall = 0.0;
  // Multiset intersection of the objects' colours (shapes) over the larger of the generated
  // and reference object counts: 1 exactly when the colours (shapes) are right, in whatever
  // objects; naming an extra object costs as much as missing one.
  double colour_accuracy = 0.0;
  double shape_accuracy = 0.0;
  // Reference relation clauses, and those present in the generated graph with the same two
  // objects in the same relation (canonical clauses equal, with multiplicity).
  int reference_relations = 0;
  int relations_right = 0;
};

// Means over a pair's captions.
struct CaptionScores {
  int64_t captions = 0;
  int64_t unparsable = 0;
  int64_t exact = 0;
  // Means of the CaptionMetrics fields over all captions (unparsable ones count 0).
  double exact_match = 0.0;
  double object_precision = 0.0;
  double object_recall = 0.0;
  double colour_accuracy = 0.0;
  double shape_accuracy = 0.0;
  // Relations right over reference relations, summed over the captions (unparsable
  // captions get none right); 0 when no reference has a relation.
  int64_t reference_relations = 0;
  double relation_accuracy = 0.0;
};

// Compares a parsed graph with the reference graph (both any clause order, any relation
// direction), mapping shapes through `language`'s ShapeClass.
CaptionMetrics CompareGraphs(const data::Language& language,
                             const std::vector<data::Clause>& generated,
                             const std::vector<data::Clause>& reference);

// Parses `words` as a caption of `language` (decoder prefix included) and compares it with
// `reference`; an unparsable caption scores 0.
CaptionMetrics ScoreCaption(const data::Language& language, const std::vector<std::string>& words,
                            const std::vector<data::Clause>& reference);

// Scores captions[i] against references[i] and averages. Throws RunError when the sizes
// differ.
CaptionScores ScoreCaptions(const data::Language& language,
                            const std::vector<std::vector<std::string>>& captions,
                            const std::vector<std::vector<data::Clause>>& references);

}  // namespace florenz::eval
