// ColumnParallelLinear: Megatron's column-split linear layer Y = XA + b with
// A = [A_1 … A_p] split by output columns over the p tensor-parallel ranks. At tp = 1 it is a
// plain linear layer; at tp > 1 its collectives run on options.tp.comm (tp_mappings.h).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>

#include "parallel/tensor_parallel.h"

namespace florenz {

struct ColumnParallelLinearOptions {
  // Add a bias b (split like A's columns: b = [b_1 … b_p]).
  bool bias = true;
  // All-gather Y = [Y_1 … Y_p] so every rank gets the full output; false leaves Y_i on rank i
  // (the input of a RowParallelLinear with input_is_parallel, or of vocab-parallel CE).
  bool gather_output = true;
  // Standard deviation of the normal initialisation of the full weight; bias starts at 0.
  double init_std = 0.02;
  // Seed of the full weight (parallel/tensor_parallel.h: LayerSeed).
  uint64_t seed = 0;
  // This rank's tensor-parallel coordinate.
  TensorParallel tp;
};

// Shapes: X [*, in], Y [*, out]; this rank holds A_i^T = weight [out/p, in], b_i = bias [out/p].
//
// Forward (Megatron, core/tensor_parallel/layers.py):
//   X' = copy_to_tp_region(X)            identity forward, all-reduce of dX backward
//   Y_i = X' A_i + b_i                   [*, out/p]
//   Y = gather_output ? gather_from_tp_region(Y_i) : Y_i
// gather_from_tp_region all-gathers along the last dimension forward and keeps this rank's
// slice of dY backward.
class ColumnParallelLinearImpl : public torch::nn::Module {
 public:
  ColumnParallelLinearImpl(int64_t in_features, int64_t out_features,
                           const ColumnParallelLinearOptions& options);

  torch::Tensor forward(const torch::Tensor& input);

  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }  // full output width
  int64_t local_out_features() const { return weight.size(0); }
  const ColumnParallelLinearOptions& options() const { return options_; }

  torch::Tensor weight;  // [out/p, in]
  torch::Tensor bias;    // [out/p], undefined without bias

 private:
  int64_t in_features_;
  int64_t out_features_;
  ColumnParallelLinearOptions options_;
};
TORCH_MODULE(ColumnParallelLinear);

}  // namespace florenz
