// DataGenerator: turns a grid's data section into examples. Sample i of a split is a pure
// function of (seed, split, i): training samples of a run come from the run's seed, the
// fixed evaluation and disambiguation sets from data.seed, so they never overlap and every
// rank and every resumed run sees the same samples. Data-parallel rank r of d takes the
// indices i ≡ r (mod d).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/experiment_spec.h"
#include "workers/data/data_source.h"
#include "workers/data/language.h"
#include "workers/data/scene.h"
#include "workers/data/vocabulary.h"

namespace florenz::data {

// CoMMuTE-style item: an English sentence with a homonym, the translation that matches the
// image and the one with the homonym's other sense.
struct DisambiguationItem {
  Example example;                 // translate task, target = the correct translation
  std::vector<int32_t> incorrect;  // the other sense's translation, then <eos>
};

// Parses "blue triangle" (English colour and shape names) into a held-out combination.
bool ParseHeldOut(const std::string& text, std::pair<Shape, Colour>* combination);

// The homonyms florenz knows, and their two senses.
std::vector<std::string> KnownHomonyms();
bool HomonymSenses(const std::string& word, Shape* first, Shape* second);

class DataGenerator : public DataSource {
 public:
  // `spec` must be validated (experiments/grid_loader.h).
  explicit DataGenerator(const ExperimentSpec& spec);

  const std::vector<Language>& languages() const { return languages_; }
  const Vocabulary& vocabulary() const { return vocabulary_; }
  const std::vector<Pair>& pairs() const override { return pairs_; }
  const std::string& LanguageName(int language) const override {
    return languages_[language].name();
  }

  // Sample `index` of the training stream of a run with seed `run_seed`.
  Example TrainExample(int64_t run_seed, int64_t index) const override;
  // Sample `index` of pair `pair`'s fixed evaluation set.
  Example EvalExample(int pair, int64_t index) const override;
  const DataGenerator* synthetic() const override { return this; }
  // Item `index` of language `language`'s disambiguation set (a language other than English,
  // with at least one homonym active).
  DisambiguationItem Disambiguation(int language, int64_t index) const;

  // Scene `index` of the preview split (`florenz data preview`), from data.seed.
  Scene PreviewScene(int64_t index, int* paraphrase) const;
  const DataOptions& options() const { return options_; }

  // Is sample `index` this data-parallel rank's?
  static bool InShard(int64_t index, int dp_rank, int dp) { return index % dp == dp_rank; }

 private:
  Example Build(int pair, const Scene& scene, int paraphrase, SampleRng& rng) const;
  Example Compose(Task task, int language, const Scene& scene, int paraphrase, bool with_image,
                  SampleRng& rng) const;

  DataOptions options_;
  std::vector<Language> languages_;
  int english_ = -1;
  Vocabulary vocabulary_;
  std::vector<Pair> pairs_;
  std::vector<double> cumulative_weights_;  // over TrainedPairs()
  SceneOptions scene_options_;              // training scenes: without the held-out combinations
  SceneOptions eval_scene_options_;         // evaluation scenes: everything
  std::vector<std::pair<Shape, Shape>> homonyms_;
};

}  // namespace florenz::data
