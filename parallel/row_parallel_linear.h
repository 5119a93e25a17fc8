// RowParallelLinear: Megatron's row-split linear layer Y = XA + b with A split by input rows,
// A = [A_1; …; A_p], and X = [X_1 … X_p] split by columns to match. At tp = 1 it is a plain
// linear layer; at tp > 1 its collectives run on options.tp.comm (tp_mappings.h).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>

#include "parallel/tensor_parallel.h"

namespace florenz {

struct RowParallelLinearOptions {
  // Add a bias b (replicated on every rank, added once after the reduction).
  bool bias = true;
  // The input already arrives split, X_i on rank i (the output of a ColumnParallelLinear with
  // gather_output = false); false scatters a full X first.
  bool input_is_parallel = true;
  // Standard deviation of the normal initialisation of the full weight; bias starts at 0.
  // Residual output projections use 0.02 / sqrt(2 · layers) (GPT-2).
  double init_std = 0.02;
  // Seed of the full weight (parallel/tensor_parallel.h: LayerSeed).
  uint64_t seed = 0;
  // This rank's tensor-parallel coordinate.
  TensorParallel tp;
};

// Shapes: X [*, in], Y [*, out]; this rank holds A_i^T = weight [out, in/p], bias [out].
//
// Forward (Megatron, core/tensor_parallel/layers.py):
//   X_i = input_is_parallel ? X : scatter_to_tp_region(X)   [*, in/p]
//   Y = reduce_from_tp_region(X_i A_i) + b                   all-reduce (sum) forward,
//                                                            identity backward
// since XA = Σ_i X_i A_i.
class RowParallelLinearImpl : public torch::nn::Module {
 public:
  RowParallelLinearImpl(int64_t in_features, int64_t out_features,
                        const RowParallelLinearOptions& options);

  torch::Tensor forward(const torch::Tensor& input);

  int64_t in_features() const { return in_features_; }  // full input width
  int64_t out_features() const { return out_features_; }
  int64_t local_in_features() const { return weight.size(1); }
  const RowParallelLinearOptions& options() const { return options_; }

  torch::Tensor weight;  // [out, in/p]
  torch::Tensor bias;    // [out], undefined without bias

 private:
  int64_t in_features_;
  int64_t out_features_;
  RowParallelLinearOptions options_;
};
TORCH_MODULE(RowParallelLinear);

}  // namespace florenz
