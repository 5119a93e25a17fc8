// Multi-head attention of the encoder-decoder: the fused kernel of attention_kernel.h on CPU
// float32, LibTorch ≥ 2.0's scaled_dot_product_attention on CUDA (causal without a mask in the
// decoder, so that flash attention applies), and [B, H, T, dh] matmuls elsewhere (LibTorch 1.13
// has no scaled_dot_product_attention): self-attention with a fused
// q/k/v ColumnParallelLinear, cross-attention with q and fused k/v, both with a
// RowParallelLinear out.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>

#include "parallel/column_parallel_linear.h"
#include "parallel/row_parallel_linear.h"
#include "parallel/tensor_parallel.h"

namespace florenz::model {

// Legend: B batch, H heads (this rank's H/p), Tq queries, Tk keys, C = d_model, dh = C / H.

// Keys and values of one attention layer kept for incremental decoding (generation.h), each
// [B, H, Tk, dh]: the encoder states' for cross-attention, the positions decoded so far for
// self-attention. At tp > 1 each rank holds its own H/p heads, so no cache is ever communicated.
struct KeyValue {
  torch::Tensor k;
  torch::Tensor v;

  // Keeps rows `index` [B'] (int64) of the batch, in that order (beam reordering, dropping
  // finished samples).
  void Select(const torch::Tensor& index);
};

// Additive attention bias, 0 where a query may attend and −inf elsewhere:
// [B, 1, 1, Tk] from a key-padding mask [B, Tk] (true = real key), or [1, 1, Tq, Tq] causal
// when `key_mask` is undefined and `causal`. A query row with no allowed key (a fully padded
// sample) gets all keys allowed instead, so softmax stays finite; its output is padding anyway.
// The bias is built on key_mask's device, or on `device` when there is no mask.
torch::Tensor AttentionBias(const torch::Tensor& key_mask, int64_t queries, bool causal,
                            const torch::Device& device = torch::kCPU);
// The causal bias [1, 1, Tq, Tq], built on `device` (no copy from the host).
torch::Tensor CausalBias(int64_t queries, const torch::Device& device);

// Whether attention on `device` applies causality itself (LibTorch ≥ 2.0's
// scaled_dot_product_attention on CUDA, is_causal): the decoder then builds no causal bias,
// and the flash kernel, which takes no mask, is eligible.
bool CausalAttentionKernel(const torch::Device& device);
// `bias` in the dtype the attention kernel will add it in: bfloat16 under CUDA autocast with
// LibTorch ≥ 2.0, else `bias` itself (the CPU paths add float32 biases, as they always have).
// Called once per forward, so that no layer converts it again.
torch::Tensor ForAttentionKernels(const torch::Tensor& bias);

// softmax(q k^T / sqrt(dh) + mask) v: q [B, H, Tq, dh], k and v [B, H, Tk, dh] → [B, H, Tq, dh].
// The mask is `bias` (additive, broadcastable to [B, 1, Tq, Tk]) when it is defined, else
// causal (key j seen by query i iff j ≤ i; Tq = Tk) when `causal`, else none. Without gradients
// on CPU float32 (decoding) it is the fused kernel of attention_kernel.h; on CUDA with LibTorch
// ≥ 2.0 at::scaled_dot_product_attention (flash attention where there is no bias, else the
// memory-efficient kernel, as LibTorch chooses); otherwise LibTorch's matmul → softmax → matmul
// (the reference the fused kernel is tested on). Paths without a kernel mask build the bias.
torch::Tensor ScaledDotProductAttention(const torch::Tensor& q, const torch::Tensor& k,
                                        const torch::Tensor& v, const torch::Tensor& bias,
                                        bool causal = false);

struct AttentionOptions {
  int64_t d_model = 0;
  int64_t heads = 0;
  // Standard deviation of the out projection (GPT-2: 0.02 / sqrt(2 · layers)).
  double out_init_std = 0.02;
  // Standard deviation of the q, k and v projections.
  double qkv_init_std = 0.02;
  // Multiplies the queries before the 1/sqrt(dh) of the scores; 1 = none. muP's attention
  // scales scores by 1/dh: sqrt(dh_base / dh) here (model.parametrization: mup).
  double query_scale = 1.0;
  uint64_t seed = 0;  // the run's seed; each projection mixes in its name
  std::string name;   // parameter path prefix for LayerSeed, e.g. "encoder.0.attention"
  TensorParallel tp;  // heads are split across tp: H/p heads per rank
};

// Self-attention: x [B, T, C] → [B, T, C]. The fused qkv output is laid out per head,
// [H, 3, dh] (Megatron's layout), so a contiguous tp shard holds whole heads.
class SelfAttentionImpl : public torch::nn::Module {
 public:
  explicit SelfAttentionImpl(const AttentionOptions& options);
  // `bias` and `causal` as in ScaledDotProductAttention: causal attention passes either
  // CausalBias(T) or, where CausalAttentionKernel(device), no bias.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& bias, bool causal = false);
  // One causal decoding step: x [B, 1, C] is the newest position; its key and value are
  // appended to `cache` (undefined tensors = no position yet), and the query attends to every
  // cached position, itself included, with no mask. Equals the last row of forward() over all
  // positions with a causal bias, at O(Tk) instead of O(Tk²) cost.
  torch::Tensor Step(const torch::Tensor& x, KeyValue* cache);

 private:
  // The fused projection with the queries scaled by query_scale (none when it is 1).
  torch::Tensor Project(const torch::Tensor& x);

  int64_t heads_;  // this rank's
  double query_scale_ = 1.0;
  ColumnParallelLinear qkv_{nullptr};
  RowParallelLinear out_{nullptr};
  torch::Tensor qkv_scale_;  // [H/p · 3 · dh]: query_scale at the queries, 1 elsewhere
};
TORCH_MODULE(SelfAttention);

// Cross-attention: queries from x [B, T, C], keys and values from memory [B, E, C]; the fused
// kv output is laid out [H, 2, dh].
class CrossAttentionImpl : public torch::nn::Module {
 public:
  explicit CrossAttentionImpl(const AttentionOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& memory,
                        const torch::Tensor& bias);
  // Keys and values of memory [B, E, C], computed once per decoded batch.
  KeyValue MemoryKeyValue(const torch::Tensor& memory);
  // forward() with the memory's keys and values precomputed: x [B, T, C] → [B, T, C].
  torch::Tensor Attend(const torch::Tensor& x, const KeyValue& memory, const torch::Tensor& bias);

 private:
  // The fused kv projection [B, E, H·2·dh] → k, v [B, H, E, dh].
  KeyValue SplitKeyValue(const torch::Tensor& kv) const;
  // Attention of the projected queries [B, T, H·dh] → [B, T, C].
  torch::Tensor AttendProjected(const torch::Tensor& projected, const KeyValue& memory,
                                const torch::Tensor& bias);

  // The queries of x, scaled by query_scale (when it is not 1).
  torch::Tensor Queries(const torch::Tensor& x);

  int64_t heads_;  // this rank's
  double query_scale_ = 1.0;
  ColumnParallelLinear q_{nullptr};
  ColumnParallelLinear kv_{nullptr};
  RowParallelLinear out_{nullptr};
};
TORCH_MODULE(CrossAttention);

}  // namespace florenz::model
