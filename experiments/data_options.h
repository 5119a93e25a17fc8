// The data section of a grid: scenes, images, languages and the task × language coverage
// matrix that makes some pairs evaluation-only (the heart of the Florenz question).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "experiments/language_options.h"
#include "experiments/spec_enums.h"

namespace florenz {

// task → language → role. Absent pairs are neither trained nor evaluated.
// Example (the paper): caption: {en: train, de: train, es: eval, zh: eval};
// translate: {de: train, fr: train, es: train, ru: train, zh: train}.
using CoverageMatrix = std::map<Task, std::map<std::string, PairRole>>;

// The defaults of the corpus limits below (docs/data.md, "Limits"): Pillow's decompression-bomb
// guard, and a label far above any real caption's.
inline constexpr int64_t kDefaultMaxImagePixels = 40000000;
inline constexpr int64_t kDefaultMaxTextBytes = 64 * 1024;

struct DataOptions {
  // Where samples come from: `synthetic` (the default: procedural scenes, everything below
  // applies) or `shards` (the user's WebDataset corpus: train, eval, tokenizer, image pixels or
  // features; docs/data.md, "Your own corpus").
  DataSourceKind source = DataSourceKind::kSynthetic;
  // Shards: the training and evaluation shard patterns ("corpus/train-{000000..000127}.tar"),
  // relative to the working directory.
  std::string train;
  std::string eval;
  // Shards: the SentencePiece model (`florenz data tokenizer`).
  std::string tokenizer;
  // Shards with `image: features`: every sample's features are [tokens, dim].
  std::vector<int64_t> feature_shape;
  // Shards: a bad sample stops the run (`stop`) or is skipped and counted (`skip`).
  BadSampleAction on_bad_sample = BadSampleAction::kStop;
  // Shards: the most pixels (width × height, from the header, before anything is allocated) an
  // image may have; a larger one is a bad sample. Also bounds an image member's bytes (9 a
  // pixel + 1 MiB: an uncompressed 16-bit RGBA PNG) and a .npy member's when no feature_shape
  // says better. 1024 to 4294967296.
  int64_t max_image_pixels = kDefaultMaxImagePixels;
  // Shards: the largest .json member (a sample's label and its texts) in bytes; a larger one is
  // a bad sample, refused from its tar header before it is read, so no text of more bytes ever
  // reaches the tokenizer. 256 to 67108864 (64 MiB).
  int64_t max_text_bytes = kDefaultMaxTextBytes;
  // Shards: the folder florenz keeps the corpus's index and token caches in (docs/data.md,
  // "Caches"). "" (the default): the results folder's cache/ for `florenz run`, the user's cache
  // folder ($XDG_CACHE_HOME/florenz or ~/.cache/florenz) for `validate` and the data commands.
  // florenz never writes beside the shards unless this points there. Where the caches live
  // changes no result: it is not part of the experiment (a folder may be rerun with another).
  std::string cache_dir;
  // Seed of everything that must not change between runs: lexicons, evaluation sets,
  // disambiguation sets. (The per-run seed in `experiment.seeds` drives the training stream.)
  int64_t seed = 1234;
  // How images reach the model: `rendered` RGB pixels or `symbolic` attribute vectors.
  ImageMode image = ImageMode::kRendered;
  // Side of the square RGB image in pixels (rendered mode).
  int image_size = 32;
  // Standard deviation of the noise on images (pixel noise, or attribute-vector noise in
  // symbolic mode), 0–1.
  double image_noise = 0.1;
  // Objects per scene, from min_objects to max_objects inclusive.
  int min_objects = 1;
  int max_objects = 2;
  // Longest caption or translation in tokens (longer ones are rejected by the generator);
  // also the decoder length used for FLOP estimates.
  int max_caption_tokens = 32;
  // `translate` samples carry the image (multimodal, as the paper) or only the English text.
  bool translate_with_image = true;
  // The languages of the grid: preset names or mappings (see LanguageOptions). English is the
  // source language of translation and must be present.
  std::vector<LanguageOptions> languages;
  // Which (task, language) pairs are trained and which are evaluation-only.
  CoverageMatrix coverage;
  // Sampling weight of each trained pair, keyed `task_lang` (e.g. caption_en); pairs not
  // listed weigh 1. Uniform over pairs by default, as the paper.
  std::map<std::string, double> weights;
  // English homonyms whose translation depends on the image (the CoMMuTE analogue).
  std::vector<std::string> ambiguous_words;
  // Compositional hold-out: "colour shape" combinations (e.g. "blue triangle") that never
  // occur in training scenes but do in evaluation sets — a second axis of systematic
  // generalization.
  std::vector<std::string> held_out;

  template <class V>
  void VisitFields(V& v) {
    v("source", source);
    v("train", train);
    v("eval", eval);
    v("tokenizer", tokenizer);
    v("feature_shape", feature_shape);
    v("on_bad_sample", on_bad_sample);
    v("max_image_pixels", max_image_pixels);
    v("max_text_bytes", max_text_bytes);
    v("cache_dir", cache_dir);
    v("seed", seed);
    v("image", image);
    v("image_size", image_size);
    v("image_noise", image_noise);
    v("min_objects", min_objects);
    v("max_objects", max_objects);
    v("max_caption_tokens", max_caption_tokens);
    v("translate_with_image", translate_with_image);
    v("languages", languages);
    v("coverage", coverage);
    v("weights", weights);
    v("ambiguous_words", ambiguous_words);
    v("held_out", held_out);
  }
};

// "caption_es": the name of a (task, language) pair in weights, files and tables.
std::string PairName(Task task, const std::string& language);

}  // namespace florenz
