// Examples from scenes (see data_generator.h).
#include "workers/data/data_generator.h"

#include <algorithm>
#include <stdexcept>

#include "workers/data/image.h"

namespace florenz::data {
namespace {

std::vector<Language> MakeLanguages(const DataOptions& options) {
  std::vector<Language> languages;
  for (const auto& l : options.languages) languages.emplace_back(l);
  return languages;
}

uint64_t PairStream(int pair) { return 1000 + static_cast<uint64_t>(pair); }

}  // namespace

std::vector<std::string> KnownHomonyms() { return {"bat", "bow"}; }

bool ParseHeldOut(const std::string& text, std::pair<Shape, Colour>* combination) {
  for (int c = 0; c < kColours; ++c) {
    for (int s = 0; s < kPlainShapes; ++s) {
      if (text == std::string(ColourName(static_cast<Colour>(c))) + " " +
                      ShapeName(static_cast<Shape>(s))) {
        *combination = {static_cast<Shape>(s), static_cast<Colour>(c)};
        return true;
      }
    }
  }
  return false;
}

bool HomonymSenses(const std::string& word, Shape* first, Shape* second) {
  if (word == "bow") {
    *first = Shape::kBowRibbon;
    *second = Shape::kBowArc;
    return true;
  }
  if (word == "bat") {
    *first = Shape::kBatAnimal;
    *second = Shape::kBatClub;
    return true;
  }
  return false;
}

DataGenerator::DataGenerator(const ExperimentSpec& spec)
    : options_(spec.data), languages_(MakeLanguages(spec.data)), vocabulary_(languages_) {
  for (size_t i = 0; i < languages_.size(); ++i) {
    if (languages_[i].name() == "en") english_ = static_cast<int>(i);
  }
  pairs_ = CoveragePairs(options_);
  double total = 0;
  for (const int p : TrainedPairs()) {
    total += pairs_[p].weight;
    cumulative_weights_.push_back(total);
  }
  for (auto& w : cumulative_weights_) w /= total;

  scene_options_.min_objects = options_.min_objects;
  scene_options_.max_objects = options_.max_objects;
  for (int s = 0; s < kPlainShapes; ++s) scene_options_.shapes.push_back(static_cast<Shape>(s));
  for (const auto& word : options_.ambiguous_words) {
    Shape a, b;
    if (HomonymSenses(word, &a, &b)) {
      scene_options_.shapes.push_back(a);
      scene_options_.shapes.push_back(b);
      homonyms_.emplace_back(a, b);
    }
  }
  eval_scene_options_ = scene_options_;
  for (const auto& text : options_.held_out) {
    std::pair<Shape, Colour> combination;
    if (ParseHeldOut(text, &combination)) scene_options_.held_out.push_back(combination);
  }
}

Example DataGenerator::Build(int pair, const Scene& scene, int paraphrase, SampleRng& rng) const {
  const Pair& p = pairs_[pair];
  const bool with_image = p.task == Task::kCaption || options_.translate_with_image;
  Example e = Compose(p.task, p.language, scene, paraphrase, with_image, rng);
  e.pair = pair;
  return e;
}

Example DataGenerator::Compose(Task task, int language, const Scene& scene, int paraphrase,
                               bool with_image, SampleRng& rng) const {
  Example e;
  e.scene = scene;
  e.paraphrase = paraphrase;
  if (with_image) {
    if (options_.image == ImageMode::kRendered) {
      e.image = RenderImage(scene, options_.image_size, options_.image_noise, rng);
    } else {
      e.image = SymbolicFeatures(scene, options_.image_noise, rng);
      e.image_tokens = static_cast<int>(scene.objects.size());
    }
  }
  e.prompt = {vocabulary_.LanguageToken(language),
              task == Task::kCaption ? Vocabulary::kCaption : Vocabulary::kTranslate};
  if (task == Task::kTranslate) {
    const auto source = vocabulary_.Encode(languages_[english_].Caption(scene.clauses, paraphrase));
    e.prompt.insert(e.prompt.end(), source.begin(), source.end());
  }
  e.target = vocabulary_.Encode(languages_[language].Caption(scene.clauses, paraphrase));
  e.target.push_back(Vocabulary::kEos);
  e.prefix_tokens = static_cast<int>(languages_[language].Prefix().size());
  return e;
}

Example DataGenerator::TrainExample(int64_t run_seed, int64_t index) const {
  SampleRng rng(static_cast<uint64_t>(run_seed), Split::kTrain, static_cast<uint64_t>(index));
  const double u = rng.Uniform();
  const std::vector<int> trained = TrainedPairs();
  size_t k = 0;
  while (k + 1 < trained.size() && u >= cumulative_weights_[k]) ++k;
  const Scene scene = GenerateScene(scene_options_, rng);
  const int paraphrase = rng.Below(kParaphrases);
  return Build(trained[k], scene, paraphrase, rng);
}

Example DataGenerator::EvalExample(int pair, int64_t index) const {
  SampleRng rng(static_cast<uint64_t>(options_.seed), Split::kEval, static_cast<uint64_t>(index),
                PairStream(pair));
  const Scene scene = GenerateScene(eval_scene_options_, rng);
  const int paraphrase = rng.Below(kParaphrases);
  return Build(pair, scene, paraphrase, rng);
}

Scene DataGenerator::PreviewScene(int64_t index, int* paraphrase) const {
  SampleRng rng(static_cast<uint64_t>(options_.seed), Split::kPreview,
                static_cast<uint64_t>(index));
  Scene scene = GenerateScene(scene_options_, rng);
  *paraphrase = rng.Below(kParaphrases);
  return scene;
}

DisambiguationItem DataGenerator::Disambiguation(int language, int64_t index) const {
  if (homonyms_.empty() || english_ < 0 || language == english_) {
    throw std::invalid_argument(
        "no disambiguation set: needs data.ambiguous_words, English and "
        "a language other than English");
  }
  SampleRng rng(static_cast<uint64_t>(options_.seed), Split::kDisambiguation,
                static_cast<uint64_t>(index), static_cast<uint64_t>(language));
  // A scene whose first clause holds one sense of a homonym.
  const auto [sense, other] = homonyms_[rng.Below(static_cast<int>(homonyms_.size()))];
  const bool first_sense = rng.Bernoulli(0.5);
  const Shape shown = first_sense ? sense : other, hidden = first_sense ? other : sense;
  Scene scene = GenerateScene(scene_options_, rng);
  for (auto& object : scene.objects) {
    if (object.attributes == scene.clauses[0].first) object.attributes.shape = shown;
  }
  scene.clauses[0].first.shape = shown;
  const int paraphrase = rng.Below(kParaphrases);

  DisambiguationItem item;
  // The image is what decides the sense: always shown, whatever translate_with_image says.
  item.example = Compose(Task::kTranslate, language, scene, paraphrase, /*with_image=*/true, rng);
  item.example.pair = FindPair(Task::kTranslate, languages_[language].name());
  std::vector<Clause> wrong = scene.clauses;
  wrong[0].first.shape = hidden;
  item.incorrect = vocabulary_.Encode(languages_[language].Caption(wrong, paraphrase));
  item.incorrect.push_back(Vocabulary::kEos);
  return item;
}

}  // namespace florenz::data
