// Collate: stacks data::Examples into the padded tensors of a Batch (batch.h), cutting
// rendered images into channel-major patches and padding symbolic objects, prompts and targets,
// and records on the host what the forward needs to know of the padding.
#include "workers/model/batch.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/errors.h"
#include "workers/data/image.h"
#include "workers/data/vocabulary.h"

namespace florenz::model {

int64_t ImageFeatures(ImageMode mode, int patch_size) {
  return mode == ImageMode::kRendered || mode == ImageMode::kPixels
             ? 3LL * patch_size * patch_size
             : static_cast<int64_t>(data::SymbolicFeatureSize());
}

ImageLayout LayoutOf(const DataOptions& data, int patch_size) {
  ImageLayout layout{data.image, data.image_size, patch_size, 0};
  layout.features = data.image == ImageMode::kFeatures
                        ? (data.feature_shape.size() == 2 ? data.feature_shape[1] : 0)
                        : ImageFeatures(data.image, patch_size);
  return layout;
}

namespace {

// Image tokens of one example: patches of pixels, objects of a symbolic image, feature rows.
int64_t ImageTokens(const data::Example& e, const ImageLayout& layout) {
  if (e.image.empty()) return 0;
  if (layout.patches()) {
    const int64_t side = layout.image_size / layout.patch_size;
    return side * side;
  }
  return static_cast<int64_t>(e.image.size()) / layout.features;
}

// Copies `tokens` into row `row` of a [B, width] int64 tensor, the rest stays <pad>.
void FillRow(const std::vector<int32_t>& tokens, int64_t row, int64_t width, int64_t* out) {
  std::copy(tokens.begin(), tokens.end(), out + row * width);
}

}  // namespace

Batch Collate(const std::vector<data::Example>& examples, ImageMode mode, int image_size,
              int patch_size) {
  return Collate(examples,
                 ImageLayout{mode, image_size, patch_size, ImageFeatures(mode, patch_size)});
}

Batch Collate(const std::vector<data::Example>& examples, const ImageLayout& layout) {
  const int image_size = layout.image_size, patch_size = layout.patch_size;
  if (layout.patches() && (patch_size <= 0 || image_size % patch_size != 0)) {
    throw RunError("patch_size " + std::to_string(patch_size) + " does not divide image_size " +
                   std::to_string(image_size));
  }
  if (layout.features <= 0) throw RunError("an image layout without features per token");
  const int64_t b = static_cast<int64_t>(examples.size());
  const int64_t f = layout.features;
  int64_t i_max = 0, s_max = 0, t_max = 0, e_max = 0;
  for (const auto& e : examples) {
    const int64_t expected =
        layout.patches() ? 3LL * image_size * image_size : ImageTokens(e, layout) * f;
    if (!e.image.empty() && static_cast<int64_t>(e.image.size()) != expected) {
      throw RunError("example image has " + std::to_string(e.image.size()) + " floats, expected " +
                     std::to_string(expected));
    }
    i_max = std::max(i_max, ImageTokens(e, layout));
    s_max = std::max(s_max, static_cast<int64_t>(e.prompt.size()));
    t_max = std::max(t_max, static_cast<int64_t>(e.target.size()));
    const int64_t real_prompt = std::count_if(
        e.prompt.begin(), e.prompt.end(), [](int32_t id) { return id != data::Vocabulary::kPad; });
    e_max = std::max(e_max, ImageTokens(e, layout) + real_prompt);
  }

  Batch batch;
  batch.image = torch::zeros({b, i_max, f}, torch::kFloat32);
  batch.image_mask = torch::zeros({b, i_max}, torch::kBool);
  batch.prompt = torch::full({b, s_max}, data::Vocabulary::kPad, torch::kInt64);
  batch.decoder_input = torch::full({b, t_max}, data::Vocabulary::kPad, torch::kInt64);
  batch.target = torch::full({b, t_max}, data::Vocabulary::kPad, torch::kInt64);
  float* image = batch.image.data_ptr<float>();
  bool* image_mask = batch.image_mask.data_ptr<bool>();
  int64_t* prompt = batch.prompt.data_ptr<int64_t>();
  int64_t* decoder_input = batch.decoder_input.data_ptr<int64_t>();
  int64_t* target = batch.target.data_ptr<int64_t>();

  for (int64_t row = 0; row < b; ++row) {
    const data::Example& e = examples[row];
    const int64_t tokens = ImageTokens(e, layout);
    float* out = image + row * i_max * f;
    std::fill(image_mask + row * i_max, image_mask + row * i_max + tokens, true);
    if (tokens > 0 && layout.patches()) {
      // Patch (pr, pc), row-major, feature (c, i, j) channel-major: pixel (c, pr·p+i, pc·p+j).
      const int64_t s = image_size, p = patch_size, side = s / p;
      for (int64_t pr = 0; pr < side; ++pr) {
        for (int64_t pc = 0; pc < side; ++pc) {
          float* patch = out + (pr * side + pc) * f;
          for (int64_t c = 0; c < 3; ++c) {
            for (int64_t i = 0; i < p; ++i) {
              const float* src = e.image.data() + (c * s + pr * p + i) * s + pc * p;
              std::copy(src, src + p, patch + (c * p + i) * p);
            }
          }
        }
      }
    } else if (tokens > 0) {
      std::copy(e.image.begin(), e.image.end(), out);
    }
    FillRow(e.prompt, row, s_max, prompt);
    FillRow(e.target, row, t_max, target);
    if (!e.target.empty()) {
      decoder_input[row * t_max] = data::Vocabulary::kBos;
      std::copy(e.target.begin(), e.target.end() - 1, decoder_input + row * t_max + 1);
    }
  }
  batch.target_rows = TargetRows(batch.target);
  batch.max_encoder_tokens = e_max;
  return batch;
}

torch::Tensor TargetRows(const torch::Tensor& target) {
  const torch::Tensor flat = target.to(torch::kInt64).contiguous().view(-1);
  const int64_t* t = flat.data_ptr<int64_t>();
  std::vector<int64_t> rows;
  rows.reserve(flat.numel());
  for (int64_t i = 0; i < flat.numel(); ++i) {
    if (t[i] != data::Vocabulary::kPad) rows.push_back(i);
  }
  return torch::tensor(rows, torch::kInt64);
}

Batch ToDevice(const Batch& batch, const torch::Device& device, bool non_blocking) {
  auto to = [&](const torch::Tensor& t) { return t.defined() ? t.to(device, non_blocking) : t; };
  Batch out{to(batch.image),         to(batch.image_mask), to(batch.prompt),
            to(batch.decoder_input), to(batch.target),     to(batch.target_rows)};
  out.max_encoder_tokens = batch.max_encoder_tokens;
  return out;
}

Batch Pinned(const Batch& batch) {
  auto pin = [](const torch::Tensor& t) { return t.defined() ? t.pin_memory() : t; };
  Batch out{pin(batch.image),         pin(batch.image_mask), pin(batch.prompt),
            pin(batch.decoder_input), pin(batch.target),     pin(batch.target_rows)};
  out.max_encoder_tokens = batch.max_encoder_tokens;
  return out;
}

}  // namespace florenz::model
