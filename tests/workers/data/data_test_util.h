// A grid for the data tests: the paper's six languages and coverage, both homonyms.
#pragma once

#include <string>

#include "experiments/grid_loader.h"
#include "workers/data/data_check.h"

namespace florenz::data::testing {

inline std::string PaperDataGrid(const std::string& image = "symbolic", int max_objects = 2) {
  return "experiment: {name: data}\n"
         "data:\n"
         "  image: " +
         image +
         "\n"
         "  image_size: 32\n"
         "  max_objects: " +
         std::to_string(max_objects) +
         "\n"
         "  max_caption_tokens: 48\n"
         "  languages: [en, de, fr, es, ru, zh]\n"
         "  coverage:\n"
         "    caption: {en: train, de: train, es: eval, zh: eval}\n"
         "    translate: {de: train, fr: train, es: train, ru: train, zh: train}\n"
         "  ambiguous_words: [bat, bow]\n"
         "model: {vocab_size: 1024, sizes: [xs]}\n"
         "training: {budgets: [1k]}\n";
}

inline LoadedGrid LoadDataGrid(const std::string& text) {
  return LoadGridFromString(text, "data.yaml", CheckDataSpec);
}

}  // namespace florenz::data::testing
