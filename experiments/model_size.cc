// Model size presets. CPU presets follow what the prototype measured on 2 cores
// (shared/PROTOTYPE.md: d = 32 … 192); GPU presets are for clusters.
#include "experiments/did_you_mean.h"
#include "experiments/model_options.h"

namespace florenz {
namespace {

ModelSize Preset(const std::string& name, int d, int enc, int dec, int heads, int ffn) {
  ModelSize s;
  s.name = name;
  s.preset = name;
  s.d_model = d;
  s.encoder_layers = enc;
  s.decoder_layers = dec;
  s.heads = heads;
  s.ffn = ffn;
  return s;
}

}  // namespace

const std::vector<ModelSize>& ModelSizePresets() {
  static const std::vector<ModelSize> presets{
      Preset("xs", 32, 2, 2, 4, 128),
      Preset("s", 64, 2, 2, 4, 256),
      Preset("m", 128, 3, 3, 4, 512),
      Preset("l", 192, 4, 4, 6, 768),
      Preset("xl", 256, 4, 4, 8, 1024),
      Preset("gpu-100m", 768, 6, 6, 12, 3072),
      Preset("gpu-300m", 1024, 10, 10, 16, 4096),
      Preset("gpu-600m", 1280, 12, 12, 20, 5120),
      Preset("gpu-1b", 1536, 14, 14, 24, 6144),
  };
  return presets;
}

std::vector<std::string> ModelSizePresetNames() {
  std::vector<std::string> names;
  for (const auto& s : ModelSizePresets()) names.push_back(s.name);
  return names;
}

bool ModelSize::ApplyPreset(const std::string& preset_name, std::string* error) {
  for (const auto& p : ModelSizePresets()) {
    if (p.name == preset_name) {
      const std::string own_name = name;
      *this = p;
      if (!own_name.empty()) name = own_name;
      return true;
    }
  }
  std::string known;
  for (const auto& n : ModelSizePresetNames()) known += (known.empty() ? "" : ", ") + n;
  *error = "unknown model size preset '" + preset_name + "'" +
           DidYouMean(preset_name, ModelSizePresetNames()) + "; presets: " + known;
  return false;
}

void ModelSize::Resolve() {
  if (layers > 0) {
    encoder_layers = layers;
    decoder_layers = layers;
    layers = 0;
  }
  if (name.empty()) name = preset;
}

}  // namespace florenz
