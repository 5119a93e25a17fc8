// VocabParallelEmbedding: a masked lookup of this rank's vocabulary rows summed over tp, and
// the tied head's logits slice; the table is drawn in full and sharded by vocabulary rows.
#include "parallel/vocab_parallel_embedding.h"

#include <torch/torch.h>

#include "parallel/mac_counter.h"
#include "parallel/tp_mappings.h"

namespace florenz {

VocabParallelEmbeddingImpl::VocabParallelEmbeddingImpl(int64_t vocab_size, int64_t embedding_dim,
                                                       const VocabParallelEmbeddingOptions& options)
    : vocab_size_(vocab_size), options_(options) {
  RequireCommunicator(options.tp, "VocabParallelEmbedding");
  vocab_start_ = options.tp.rank * ShardSize(vocab_size, options.tp, "vocabulary");
  weight = register_parameter("weight", NormalShard(vocab_size, embedding_dim, options.init_std,
                                                    options.seed, 0, options.tp));
}

torch::Tensor VocabParallelEmbeddingImpl::forward(const torch::Tensor& ids) {
  // At tp = 1 every id is in range: a plain lookup.
  if (options_.tp.size == 1) return torch::embedding(weight, ids);
  const torch::Tensor foreign = (ids < vocab_start()) | (ids >= vocab_end());  // another rank's
  const torch::Tensor local_ids = (ids - vocab_start_).masked_fill(foreign, 0);
  const torch::Tensor local =
      torch::embedding(weight, local_ids).masked_fill(foreign.unsqueeze(-1), 0.0);
  return ReduceFromTpRegion(local, options_.tp);  // each id has exactly one owner
}

torch::Tensor VocabParallelEmbeddingImpl::Logits(const torch::Tensor& hidden) {
  const torch::Tensor x = CopyToTpRegion(hidden, options_.tp);
  const int64_t c = weight.size(1);
  MacCounter::Add(static_cast<double>(x.numel() / c) * c * weight.size(0));
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = weight.size(0);
  return torch::mm(x.reshape({-1, c}), weight.t()).view(shape);
}

}  // namespace florenz
