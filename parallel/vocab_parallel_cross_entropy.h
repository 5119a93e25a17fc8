// Vocab-parallel cross-entropy (Megatron, core/tensor_parallel/cross_entropy.py): the per-token
// loss from this rank's slice of the logits, with three small all-reduces instead of a gather
// of the full [*, V] logits. At tp = 1 LibTorch's fused cross-entropy computes it.
#pragma once

#include <torch/types.h>

#include <cstdint>

#include "parallel/tensor_parallel.h"

namespace florenz {

// logits [*, V/p]: this rank's vocabulary slice [rank·V/p, (rank+1)·V/p); target [*] int64 ids
// in the full vocabulary. Returns the per-token loss [*] (float32),
//   loss = log Σ_v exp(z_v) − z_target,
// and 0 where target == ignore_index (<pad> = 0 by default). Computed as
//   m = all-reduce(max) of max_v z_v                (stability; no gradient)
//   s = all-reduce(sum) of Σ_v exp(z_v − m)
//   t = all-reduce(sum) of (z_target − m) on the rank owning target, 0 elsewhere
//   loss = log s − t
// At tp.size > 1 tp.comm must be the group's communicator; every rank returns the same loss.
torch::Tensor VocabParallelCrossEntropy(const torch::Tensor& logits, const torch::Tensor& target,
                                        const TensorParallel& tp, int64_t ignore_index = 0);

}  // namespace florenz
