// Mixed precision of a run (training.precision): with bf16, LibTorch's autocast runs matmuls
// and attention in bfloat16 while the parameters (master weights), the optimizer state and
// the loss reduction stay float32. fp32 changes nothing, so CPU fp32 results stay
// bit-identical. CPU autocast (LibTorch's own) makes bf16 testable on machines without a GPU.
#pragma once

#include <torch/types.h>

#include "experiments/spec_enums.h"

namespace florenz::train {

// Autocast on `device`'s type for the scope's lifetime when `precision` is bf16; restores the
// previous autocast state (and clears autocast's cast cache) on exit. Use one scope around
// each forward pass; backward runs outside it, as PyTorch recommends.
class AutocastScope {
 public:
  AutocastScope(Precision precision, const torch::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  torch::DeviceType type_ = torch::kCPU;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kBFloat16;
};

}  // namespace florenz::train
