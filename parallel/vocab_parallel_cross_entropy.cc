// Vocab-parallel cross-entropy: Megatron's max / sum-exp / target-logit steps, the sums through
// reduce_from_tp_region. Its backward is the identity, which is right because every rank
// computes the same loss from the reduced values and back-propagates it: d loss / d s_i =
// 1 / S on every rank i, the softmax slice minus the one-hot where it owns the target.
#include "parallel/vocab_parallel_cross_entropy.h"

#include <torch/torch.h>

#include "parallel/communicator.h"
#include "parallel/tp_mappings.h"

namespace florenz {

torch::Tensor VocabParallelCrossEntropy(const torch::Tensor& logits, const torch::Tensor& target,
                                        const TensorParallel& tp, int64_t ignore_index) {
  Communicator* comm = RequireCommunicator(tp, "VocabParallelCrossEntropy");
  if (tp.size == 1) {
    // One rank holds the whole vocabulary: LibTorch's fused log-softmax + NLL computes the
    // same numbers with fewer kernels (forward and backward) than the sharded steps below.
    namespace F = torch::nn::functional;
    const int64_t vocab = logits.size(-1);
    return F::cross_entropy(
               logits.reshape({-1, vocab}), target.reshape({-1}),
               F::CrossEntropyFuncOptions().ignore_index(ignore_index).reduction(torch::kNone))
        .view(target.sizes());
  }
  const int64_t local_vocab = logits.size(-1);
  const int64_t vocab_start = tp.rank * local_vocab;
  // m: max over the whole vocabulary; a constant for the gradient.
  torch::Tensor max = std::get<0>(logits.max(-1, /*keepdim=*/true)).detach().contiguous();
  comm->AllReduce(max, ReduceOp::kMax);
  torch::Tensor shifted = logits - max;  // [*, V/p]
  // t: the target's shifted logit on the rank that owns it (all-reduce SUM at tp > 1).
  torch::Tensor owned = (target >= vocab_start) & (target < vocab_start + local_vocab);
  torch::Tensor local_target = (target - vocab_start).masked_fill(~owned, 0);
  torch::Tensor predicted = ReduceFromTpRegion(
      shifted.gather(-1, local_target.unsqueeze(-1)).squeeze(-1).masked_fill(~owned, 0), tp);
  // s: Σ exp over the whole vocabulary.
  torch::Tensor sum_exp = ReduceFromTpRegion(shifted.exp().sum(-1), tp);
  return (sum_exp.log() - predicted).masked_fill(target == ignore_index, 0);
}

}  // namespace florenz
