// The encoder-decoder vision-language model of DESIGN.md ("Model"): image tokens (a linear
// projection of patches or attribute vectors) and the prompt go through a pre-norm
// transformer encoder; the decoder has self-attention, cross-attention and a GELU MLP; the
// LM head is tied to the token embedding unless model.tie_embeddings is false. Positions are
// sinusoidal. Every linear layer and the embedding are parallel/ layers (plain at tp = 1).
// Parameter counts equal experiments/model_cost.h exactly.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "experiments/model_options.h"
#include "parallel/column_parallel_linear.h"
#include "parallel/tensor_parallel.h"
#include "parallel/vocab_parallel_embedding.h"
#include "workers/model/attention.h"
#include "workers/model/batch.h"

namespace florenz::model {

class EncoderLayerImpl;  // encoder_decoder.cc
class DecoderLayerImpl;

// State of incremental (KV-cached) decoding, one row per sequence being decoded: built by
// EncoderDecoderImpl::StartDecoding, advanced one position by DecodeStep.
struct DecoderCache {
  std::vector<KeyValue> self;   // per decoder layer: [B, H, T, dh], T = length
  std::vector<KeyValue> cross;  // per decoder layer: the encoder states' [B, H, E, dh]
  torch::Tensor memory_bias;    // [B, 1, 1, E] from the encoder's key-padding mask
  int64_t length = 0;           // decoder positions fed so far

  // Keeps rows `index` [B'] (int64) in that order: beam reordering, dropping finished rows.
  void Select(const torch::Tensor& index);
};

// Legend: B batch, I image tokens, F features per image token, S prompt tokens, E = I + S
// encoder tokens, T decoder positions, C = d_model, V vocabulary (V/p on a tp rank).
//
// Embeddings: a token's input is sqrt(C) · E[id] + PE(position) (Vaswani et al.), image tokens
// are W_img · features + b + PE(position). Encoder positions count only real tokens
// (cumsum of the key-padding mask), so padding an image or a prompt moves no position.
// Initialisation (GPT-2): every weight N(0, 0.02²), the residual output projections (attention
// out, MLP down) N(0, (0.02 / sqrt(2 · layers of the stack))²), biases 0, LayerNorm 1 and 0.
class EncoderDecoderImpl : public torch::nn::Module {
 public:
  // Weights are drawn from `seed` (full weights, then this rank's shard: values do not
  // depend on the tensor-parallel degree).
  EncoderDecoderImpl(const ModelSize& size, const ModelOptions& options, int64_t image_features,
                     uint64_t seed);
  // Same on rank tp.rank of a tensor-parallel group: heads, MLP width and vocabulary split
  // over tp (tp.comm is the group's communicator when tp.size > 1).
  EncoderDecoderImpl(const ModelSize& size, const ModelOptions& options, int64_t image_features,
                     uint64_t seed, const TensorParallel& tp);

  // This rank's logits slice [B, T, V/p] (the whole [B, T, V] at tp = 1).
  torch::Tensor forward(const Batch& batch);
  // Cross-entropy per sample [B]: the mean over the sample's non-<pad> target tokens (the
  // paper's CE is the mean of this over samples). Logits are computed at those tokens only.
  torch::Tensor SampleLoss(const Batch& batch);
  // Encoder states [B, I+S, d] and their key-padding mask [B, I+S] (true = real token), for
  // decoding (evaluation).
  std::pair<torch::Tensor, torch::Tensor> Encode(const Batch& batch,
                                                 std::vector<torch::Tensor>* trace = nullptr);
  // This rank's logits slice [B, T, V/p] of the decoder over `decoder_input` given encoder
  // states, never gathered (vocab-parallel cross-entropy takes the slices as they are).
  torch::Tensor Decode(const torch::Tensor& decoder_input, const torch::Tensor& memory,
                       const torch::Tensor& memory_mask);

  // Incremental decoding (generation.h). StartDecoding computes every decoder layer's
  // cross-attention keys and values once from Encode()'s memory [B, E, C] and mask [B, E].
  DecoderCache StartDecoding(const torch::Tensor& memory, const torch::Tensor& memory_mask);
  // Feeds token_ids [B] at position cache->length, appends their self-attention keys and
  // values to the cache and returns the next-token logits [B, V] over the whole vocabulary
  // (gathered across tp): equal to Decode() over all tokens fed so far, last position, at
  // O(length) rather than O(length²) cost per step.
  torch::Tensor DecodeStep(const torch::Tensor& token_ids, DecoderCache* cache);

  // The muP coordinate check (tests/workers/model/mup_test.cc): the residual stream after the
  // embeddings and after every encoder layer, then after the decoder's embeddings and every
  // decoder layer, then this rank's logits, for `batch` — each [*, C] or [*, V/p].
  std::vector<torch::Tensor> Coordinates(const Batch& batch);

  const TensorParallel& tp() const { return tp_; }
  // Where the parameters are (model->to(device) moves them all).
  torch::Device device() const;

 private:
  // Final decoder states [B, T, C] (after the last LayerNorm) over `decoder_input`.
  // `trace`, when given, gets the residual stream after the embeddings and after each layer.
  torch::Tensor DecoderStates(const torch::Tensor& decoder_input, const torch::Tensor& memory,
                              const torch::Tensor& memory_mask,
                              std::vector<torch::Tensor>* trace = nullptr);
  // Final decoder states [*, C] → this rank's logits slice [*, V/p].
  torch::Tensor LocalLogits(const torch::Tensor& hidden);
  // Sinusoidal encodings [*, C] of integer positions [*], each below `bound` (known on the
  // host, so that growing the table never reads the positions back).
  torch::Tensor Positions(const torch::Tensor& positions, int64_t bound);

  int64_t d_model_;
  // The token embedding's multiplier, sqrt(d_model) (muP: sqrt(base_width)), and the logits'
  // (1; muP: base_width / d_model).
  double embedding_scale_;
  double logit_scale_;
  TensorParallel tp_;
  ColumnParallelLinear image_projection_{nullptr};
  VocabParallelEmbedding embedding_{nullptr};
  std::vector<std::shared_ptr<EncoderLayerImpl>> encoder_;
  torch::nn::LayerNorm encoder_norm_{nullptr};
  std::vector<std::shared_ptr<DecoderLayerImpl>> decoder_;
  torch::nn::LayerNorm decoder_norm_{nullptr};
  ColumnParallelLinear lm_head_{nullptr};  // untied head only
  torch::Tensor position_table_;           // [L, C] sinusoids, grown on demand (not a buffer)
};
TORCH_MODULE(EncoderDecoder);

}  // namespace florenz::model
