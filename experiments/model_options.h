// The model family of a grid and its list of sizes. A size is a preset name (`m`) or a mapping
// that starts from a preset and overrides dimensions, or gives every dimension itself.
#pragma once

#include <string>
#include <vector>

#include "experiments/spec_enums.h"

namespace florenz {

// One model size of the grid (d_model, layers, heads, ffn) and its parallel layout.
struct ModelSize {
  // Name used in run ids and tables (letters, digits, '.', '_', '-'). Defaults to the preset.
  std::string name;
  // Preset the dimensions start from: CPU `xs s m l xl`, GPU `gpu-100m gpu-300m gpu-600m gpu-1b`.
  std::string preset;
  // Width of the residual stream.
  int d_model = 0;
  // Shorthand that sets encoder_layers and decoder_layers both (it takes precedence).
  int layers = 0;
  int encoder_layers = 0;
  int decoder_layers = 0;
  // Attention heads; must divide d_model (and be divisible by tensor_parallel).
  int heads = 0;
  // Width of the MLP's hidden layer.
  int ffn = 0;
  // Parallel layout of this size's runs; 0 = the grid's `parallel` section.
  int tensor_parallel = 0;
  int data_parallel = 0;

  template <class V>
  void VisitFields(V& v) {
    v("name", name);
    v("preset", preset);
    v("d_model", d_model);
    v("layers", layers);
    v("encoder_layers", encoder_layers);
    v("decoder_layers", decoder_layers);
    v("heads", heads);
    v("ffn", ffn);
    v("tensor_parallel", tensor_parallel);
    v("data_parallel", data_parallel);
  }

  // Loads a preset's dimensions (and name, when none is set). False with a message listing
  // the presets when `preset_name` is unknown.
  bool ApplyPreset(const std::string& preset_name, std::string* error);
  // Applies `layers` to both stacks.
  void Resolve();
};

// The preset sizes: CPU presets span > 100x in non-embedding parameters, GPU presets are in
// the paper's spirit (0.1B–1B).
const std::vector<ModelSize>& ModelSizePresets();
std::vector<std::string> ModelSizePresetNames();

struct ModelOptions {
  // Architecture family. Only the encoder-decoder transformer of DESIGN.md exists.
  std::string family = "encoder_decoder";
  // Rows of the token embedding (and of the LM head): at least the data's vocabulary, and
  // divisible by every size's tensor_parallel.
  int vocab_size = 512;
  // The LM head shares the token embedding's weights.
  bool tie_embeddings = true;
  // Side of the square image patches for `image: rendered` (must divide data.image_size).
  int patch_size = 8;
  // The model sizes of the grid, in the order of the run table.
  std::vector<ModelSize> sizes;
  // standard, or mup (docs/grid-spec.md, "muP"): hidden matrices initialised with std
  // 0.02·sqrt(base_width/d_model) and trained at the rate × base_width/d_model, the embedding
  // scaled by sqrt(base_width) instead of sqrt(d_model), logits × base_width/d_model and
  // attention scores ∝ 1/d_head. A model of width base_width computes exactly what standard does.
  Parametrization parametrization = Parametrization::kStandard;
  // mup only: the width whose hyperparameters transfer (the proxy's d_model).
  int base_width = 0;

  template <class V>
  void VisitFields(V& v) {
    v("family", family);
    v("vocab_size", vocab_size);
    v("tie_embeddings", tie_embeddings);
    v("patch_size", patch_size);
    v("sizes", sizes);
    v("parametrization", parametrization);
    v("base_width", base_width);
  }
};

}  // namespace florenz
