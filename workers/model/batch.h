// Batch: a list of data::Examples stacked into the tensors the encoder-decoder reads.
// Shapes use one legend: B batch, I image tokens, F features per image token, S prompt
// tokens, T decoder positions.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "experiments/spec_enums.h"
#include "workers/data/data_generator.h"

namespace florenz::model {

struct Batch {
  torch::Tensor image;          // [B, I, F] float32 (I may be 0: no sample has an image)
  torch::Tensor image_mask;     // [B, I] bool, true for a real image token
  torch::Tensor prompt;         // [B, S] int64, <pad>-padded (<pad> = 0)
  torch::Tensor decoder_input;  // [B, T] int64: <bos>, then target[:-1]; <pad>-padded
  torch::Tensor target;         // [B, T] int64: the target tokens; <pad> where padding

  int64_t size() const { return prompt.size(0); }
};

// Stacks `examples`. Rendered images (3 × size × size) are cut into patch_size² patches,
// row-major, each flattened channel-major (F = 3·p²); symbolic objects (F = 22) are padded to
// the batch's most objects. A sample without an image (text-only translation) has an
// all-false image_mask.
Batch Collate(const std::vector<data::Example>& examples, ImageMode mode, int image_size,
              int patch_size);

// `batch` on `device`: the tensors themselves where they already are there (no copy), else
// copies. With non_blocking, copies from pinned host memory overlap the device's work.
Batch ToDevice(const Batch& batch, const torch::Device& device, bool non_blocking = false);

// `batch` in page-locked host memory, so that ToDevice(…, non_blocking = true) is
// asynchronous. Needs a CUDA build of LibTorch (callers pin only for a CUDA device).
Batch Pinned(const Batch& batch);

// Features per image token: 3·p² for rendered images, data::SymbolicFeatureSize() otherwise.
int64_t ImageFeatures(ImageMode mode, int patch_size);

}  // namespace florenz::model
