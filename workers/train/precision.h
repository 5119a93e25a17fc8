// Precision of a run (training.precision): with bf16, LibTorch's autocast runs matmuls and
// attention in bfloat16 while the parameters (master weights), the optimizer state and the
// loss reduction stay float32; with tf32, float32 matmuls on a GPU may use its TF32 tensor
// cores (about 7x an H100's float32 rate). fp32 changes nothing, so CPU fp32 results stay
// bit-identical, and tf32 on the CPU is fp32. CPU autocast (LibTorch's own) makes bf16 testable
// on machines without a GPU.
#pragma once

#include <torch/types.h>

#include "experiments/spec_enums.h"

namespace florenz::train {

// Autocast on `device`'s type for the scope's lifetime when `precision` is bf16; restores the
// previous autocast state (and clears autocast's cast cache) on exit. Use one scope around
// each forward pass; backward runs outside it, as PyTorch recommends. fp32 and tf32: no
// autocast (tf32's matmul mode is MatmulPrecisionScope's, for the whole run).
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

// The float32 matmul mode of a run, for the scope's lifetime: with tf32 on a CUDA device,
// cuBLAS (at::Context::setAllowTF32CuBLAS) and cuDNN (setAllowTF32CuDNN) may run float32
// matmuls and convolutions on TF32 tensor cores (10-bit mantissa products, float32 sums);
// the previous settings come back on exit. Held for a whole run, not one forward pass, since
// backward's matmuls (two thirds of a step's) run outside AutocastScope. Both switches are
// process-wide: hold one scope at a time (a worker runs one run at a time). fp32, bf16, and
// any precision on the CPU change nothing: LibTorch's newer CPU kernels read the same
// process-wide mode, and CPU results must stay the bits they were.
class MatmulPrecisionScope {
 public:
  MatmulPrecisionScope(Precision precision, const torch::Device& device);
  ~MatmulPrecisionScope();
  MatmulPrecisionScope(const MatmulPrecisionScope&) = delete;
  MatmulPrecisionScope& operator=(const MatmulPrecisionScope&) = delete;

  // Whether this scope allowed TF32 (tf32 on a CUDA device).
  bool tf32() const { return active_; }

 private:
  bool active_ = false;
  bool was_cublas_ = false;
  bool was_cudnn_ = true;
};

}  // namespace florenz::train
