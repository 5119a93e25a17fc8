// Batch: a list of data::Examples stacked into the tensors the encoder-decoder reads, with the
// host-side facts (row indices of the real targets, the longest real encoder input) that the
// forward would otherwise read back from the device. Shapes use one legend: B batch, I image
// tokens, F features per image token, S prompt tokens, T decoder positions, N real targets.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "experiments/spec_enums.h"
#include "workers/data/data_source.h"

namespace florenz::model {

struct Batch {
  torch::Tensor image;          // [B, I, F] float32 (I may be 0: no sample has an image)
  torch::Tensor image_mask;     // [B, I] bool, true for a real image token
  torch::Tensor prompt;         // [B, S] int64, <pad>-padded (<pad> = 0)
  torch::Tensor decoder_input;  // [B, T] int64: <bos>, then target[:-1]; <pad>-padded
  torch::Tensor target;         // [B, T] int64: the target tokens; <pad> where padding
  // [N] int64: the indices into target.view(-1) of its non-<pad> tokens, ascending. Computed on
  // the host by Collate (TargetRows) and moved with the batch, so that the loss selects its
  // rows without a nonzero() on the device. Undefined in a hand-built batch: SampleLoss then
  // reads the targets back (one counted device read). Whoever changes `target` after
  // Collate recomputes it.
  torch::Tensor target_rows;
  // The most real (unpadded) encoder tokens of a sample, image and prompt together: the bound
  // of the encoder's positions, known on the host. −1 when unknown (a hand-built batch): the
  // encoder then reads the bound back from the device.
  int64_t max_encoder_tokens = -1;

  int64_t size() const { return prompt.size(0); }
};

// The row indices [N] (int64, CPU) of the non-<pad> tokens of `target` [B, T] (a CPU tensor),
// in row-major order: what (target.view(-1) != <pad>).nonzero() gives, computed on the host.
torch::Tensor TargetRows(const torch::Tensor& target);

// How a grid's images become image tokens.
struct ImageLayout {
  ImageMode mode = ImageMode::kRendered;
  int image_size = 32;   // rendered and pixels: the square side
  int patch_size = 4;    // rendered and pixels
  int64_t features = 0;  // F, features per image token
  // Rendered synthetic scenes and decoded corpus pixels are cut into patches.
  bool patches() const { return mode == ImageMode::kRendered || mode == ImageMode::kPixels; }
};
// The layout of a grid's data section with the model's patch size.
ImageLayout LayoutOf(const DataOptions& data, int patch_size);

// Stacks `examples`. Images of 3 × size × size pixels (rendered or decoded) are cut into
// patch_size² patches, row-major, each flattened channel-major (F = 3·p²); symbolic objects
// (F = 22) and precomputed features (F = dim) are padded to the batch's most tokens. A sample
// without an image (text-only translation) has an all-false image_mask.
Batch Collate(const std::vector<data::Example>& examples, const ImageLayout& layout);
// The same for a layout of rendered or symbolic synthetic images.
Batch Collate(const std::vector<data::Example>& examples, ImageMode mode, int image_size,
              int patch_size);

// `batch` on `device`: the tensors themselves where they already are there (no copy), else
// copies (target_rows too). With non_blocking, copies from pinned host memory overlap the
// device's work.
Batch ToDevice(const Batch& batch, const torch::Device& device, bool non_blocking = false);

// `batch` in page-locked host memory, so that ToDevice(…, non_blocking = true) is
// asynchronous. Needs a CUDA build of LibTorch (callers pin only for a CUDA device).
Batch Pinned(const Batch& batch);

// Features per image token: 3·p² for rendered images, data::SymbolicFeatureSize() for
// symbolic ones (features: see LayoutOf, the dim is the grid's data.feature_shape).
int64_t ImageFeatures(ImageMode mode, int patch_size);

}  // namespace florenz::model
