// The data generator's grid checks (see data_check.h).
#include "workers/data/data_check.h"

#include <set>

#include "experiments/did_you_mean.h"
#include "workers/data/data_generator.h"

namespace florenz::data {

void CheckDataSpec(const ExperimentSpec& spec, const SpecLocations& where, Diagnostics* problems) {
  const DataOptions& d = spec.data;
  // A corpus has its own checks (shards/corpus_check.h); these are the synthetic generator's.
  if (d.source == DataSourceKind::kShards) return;
  for (const auto& word : d.ambiguous_words) {
    Shape a, b;
    if (!HomonymSenses(word, &a, &b)) {
      std::string known;
      for (const auto& h : KnownHomonyms()) known += (known.empty() ? "" : ", ") + h;
      problems->Error(where.OfOr(word, d.ambiguous_words),
                      "data.ambiguous_words: '" + word + "' is not a homonym florenz knows" +
                          DidYouMean(word, KnownHomonyms()) + "; known: " + known);
    }
  }

  std::set<std::string> held_out;
  for (const auto& text : d.held_out) {
    std::pair<Shape, Colour> combination;
    if (!ParseHeldOut(text, &combination)) {
      problems->Error(
          where.OfOr(text, d.held_out),
          "data.held_out: '" + text +
              "' is not \"<colour> <shape>\" (colours: red, "
              "green, blue, yellow, purple, orange, white, black; shapes: circle, square, "
              "triangle, star, cross, diamond)");
    } else if (!held_out.insert(text).second) {
      problems->Error(where.OfOr(text, d.held_out), "data.held_out: '" + text + "' appears twice");
    }
  }
  if (held_out.size() >= static_cast<size_t>(kColours * kPlainShapes / 2)) {
    problems->Error(where.OfOr(d.held_out, d),
                    "data.held_out: holding out half or more of the colour-shape combinations "
                    "leaves too little to learn from");
  }

  std::vector<Language> languages;
  for (const auto& l : d.languages) languages.emplace_back(l);
  for (size_t i = 0; i < languages.size(); ++i) {
    const Language& language = languages[i];
    if (language.name() == "en") continue;
    for (const auto& word : d.ambiguous_words) {
      Shape a, b;
      if (HomonymSenses(word, &a, &b) && language.ShapeClass(a) == language.ShapeClass(b)) {
        problems->Error(where.OfOr(d.languages[i], d.languages),
                        "data.languages: '" + language.name() +
                            "' uses one word for both "
                            "senses of '" +
                            word + "', so its disambiguation set would be moot");
      }
    }
    const int longest = language.LongestCaption(d.max_objects) + 1;  // + <eos>
    if (longest > d.max_caption_tokens) {
      problems->Error(where.OfOr(d.max_caption_tokens, d),
                      "data.max_caption_tokens: " + std::to_string(d.max_caption_tokens) +
                          " is too short: a caption in '" + language.name() + "' of " +
                          std::to_string(d.max_objects) + " objects takes up to " +
                          std::to_string(longest) + " tokens");
    }
  }

  if (d.image == ImageMode::kRendered) {
    const int cell = d.image_size / PlacementGridSide(d.max_objects);
    if (cell < 8) {
      problems->Error(where.OfOr(d.max_objects, d),
                      "data.max_objects: " + std::to_string(d.max_objects) +
                          " objects do not fit a " + std::to_string(d.image_size) +
                          "-pixel image "
                          "(each needs an 8-pixel cell; raise data.image_size)");
    }
  }

  const Vocabulary vocabulary(languages);
  if (vocabulary.size() > spec.model.vocab_size) {
    problems->Error(where.OfOr(spec.model.vocab_size, spec.model),
                    "model.vocab_size: " + std::to_string(spec.model.vocab_size) +
                        " is smaller than the data's vocabulary of " +
                        std::to_string(vocabulary.size()) + " tokens");
  }
}

}  // namespace florenz::data
