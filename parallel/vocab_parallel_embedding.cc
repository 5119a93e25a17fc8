// VocabParallelEmbedding at tp = 1: a plain lookup and a plain tied head; the table is drawn
// in full and sharded by vocabulary rows.
#include "parallel/vocab_parallel_embedding.h"

#include <torch/torch.h>

#include "parallel/mac_counter.h"

namespace florenz {

VocabParallelEmbeddingImpl::VocabParallelEmbeddingImpl(int64_t vocab_size, int64_t embedding_dim,
                                                       const VocabParallelEmbeddingOptions& options)
    : vocab_size_(vocab_size), options_(options) {
  RequireSingleRank(options.tp, "VocabParallelEmbedding");
  vocab_start_ = options.tp.rank * ShardSize(vocab_size, options.tp, "vocabulary");
  weight = register_parameter("weight", NormalShard(vocab_size, embedding_dim, options.init_std,
                                                    options.seed, 0, options.tp));
}

torch::Tensor VocabParallelEmbeddingImpl::forward(const torch::Tensor& ids) {
  // At tp = 1 every id is in range, nothing is masked and the all-reduce is the identity.
  return torch::embedding(weight, ids);
}

torch::Tensor VocabParallelEmbeddingImpl::Logits(const torch::Tensor& hidden) {
  const int64_t c = weight.size(1);
  MacCounter::Add(static_cast<double>(hidden.numel() / c) * c * weight.size(0));
  std::vector<int64_t> shape = hidden.sizes().vec();
  shape.back() = weight.size(0);
  return torch::mm(hidden.reshape({-1, c}), weight.t()).view(shape);
}

}  // namespace florenz
