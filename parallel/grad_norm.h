// Gradient-norm clipping for a model whose parameters are partly sharded across tensor
// parallelism: the global norm counts each sharded parameter once (its shards' squared norms
// summed over the tp group) and each replicated parameter once (every tp rank holds the same
// copy). Data-parallel replicas need nothing: their gradients are already averaged.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <vector>

#include "parallel/tensor_parallel.h"

namespace florenz {

struct ParameterSets {
  std::vector<torch::Tensor> sharded;     // a shard on each tp rank (parallel/ layers' weights)
  std::vector<torch::Tensor> replicated;  // the same on every tp rank (norms, row biases)
};

// Sorts `model`'s parameters by what parallel/ knows of its layers: ColumnParallelLinear
// weight and bias, RowParallelLinear weight and VocabParallelEmbedding weight are sharded;
// everything else (a RowParallelLinear's bias, LayerNorm) is replicated.
ParameterSets ClassifyParameters(torch::nn::Module& model);

// Returns the global L2 norm of the gradients, as a float64 [1] tensor on the parameters'
// device, and, when it exceeds max_norm, scales every gradient by max_norm / (norm + 1e-6)
// (torch::nn::utils::clip_grad_norm_'s rule). The coefficient stays on the device (clamped
// to 1, so an unclipped gradient is multiplied by exactly 1): nothing is read to the host,
// and the caller reads the norm only when it logs it (device_reads.h). Parameters without a
// gradient count as zero.
torch::Tensor ClipGradNorm(const ParameterSets& params, double max_norm, const TensorParallel& tp);

}  // namespace florenz
