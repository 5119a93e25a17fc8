// VocabParallelEmbedding: Megatron's token embedding with the vocabulary rows split over the
// tensor-parallel ranks; also the tied LM head (hidden · E_i^T gives this rank's slice of the
// logits). At tp = 1 it is a plain embedding; at tp > 1 the lookups are summed over tp.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>

#include "parallel/tensor_parallel.h"

namespace florenz {

struct VocabParallelEmbeddingOptions {
  // Standard deviation of the normal initialisation of the full table.
  double init_std = 0.02;
  // Seed of the full table (parallel/tensor_parallel.h: LayerSeed).
  uint64_t seed = 0;
  // This rank's tensor-parallel coordinate.
  TensorParallel tp;
};

// Rank i holds rows [vocab_start, vocab_end) = [i·V/p, (i+1)·V/p) of E: weight [V/p, C].
//
// Forward (Megatron, core/tensor_parallel/layers.py), ids [*] → embeddings [*, C]:
//   m = ids < vocab_start or ids ≥ vocab_end          tokens another rank owns
//   local = E_i[m ? 0 : ids − vocab_start], zeroed where m
//   out = reduce_from_tp_region(local)                 all-reduce (sum): each id has one owner
//
// Logits (Megatron's parallel_lm_logits, the tied head), hidden [*, C] → [*, V/p]:
//   Z_i = copy_to_tp_region(hidden) · E_i^T            this rank's vocabulary slice; the loss
//                                                      is vocab-parallel CE, never a gather
class VocabParallelEmbeddingImpl : public torch::nn::Module {
 public:
  VocabParallelEmbeddingImpl(int64_t vocab_size, int64_t embedding_dim,
                             const VocabParallelEmbeddingOptions& options);

  torch::Tensor forward(const torch::Tensor& ids);
  // The tied LM head: this rank's logits slice [*, V/p].
  torch::Tensor Logits(const torch::Tensor& hidden);

  int64_t vocab_size() const { return vocab_size_; }
  int64_t vocab_start() const { return vocab_start_; }
  int64_t vocab_end() const { return vocab_start_ + weight.size(0); }

  torch::Tensor weight;  // [V/p, C]

 private:
  int64_t vocab_size_;
  int64_t vocab_start_;
  VocabParallelEmbeddingOptions options_;
};
TORCH_MODULE(VocabParallelEmbedding);

}  // namespace florenz
