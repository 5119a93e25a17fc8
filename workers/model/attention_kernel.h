// Fused CPU attention: softmax(q k^T / sqrt(dh) + bias) v and its backward in one pass over each
// (sample, head), instead of matmul → add → softmax → matmul. For the small heads of the CPU
// presets (dh 8–32, tens of tokens) ATen's bmm loops over B·H tiny BLAS calls with three
// select()s each, which cost more than the arithmetic; this kernel does the same sums directly.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace florenz::model {

// Legend: B batch, H heads (this rank's), Tq queries, Tk keys, dh = head width.
// bias is broadcastable to [B, 1, Tq, Tk] (AttentionBias), float32, never differentiated.

// Whether the fused kernels handle these tensors: CPU float32 (other devices and dtypes take
// the unfused LibTorch path).
bool FusedAttentionSupports(const torch::Tensor& x);

// Self-attention on the fused projection qkv [B, T, H·3·dh], laid out [H, 3, dh] per position
// (q, k, v of head h at columns h·3·dh + {0, dh, 2·dh}); returns the merged heads
// [B, T, H·dh]. Differentiable in qkv; the gradient comes back in qkv's layout.
torch::Tensor FusedSelfAttention(const torch::Tensor& qkv, const torch::Tensor& bias,
                                 int64_t heads);

// Cross-attention: q [B, Tq, H·dh], kv [B, Tk, H·2·dh] laid out [H, 2, dh]; returns
// [B, Tq, H·dh]. Differentiable in q and kv.
torch::Tensor FusedCrossAttention(const torch::Tensor& q, const torch::Tensor& kv,
                                  const torch::Tensor& bias, int64_t heads);

// q [B, H, Tq, dh], k and v [B, H, Tk, dh], any strides → [B, H, Tq, dh] (a view of a
// [B, Tq, H, dh] buffer, so merging heads is free). Not differentiable: for decoding.
torch::Tensor FusedAttentionNoGrad(const torch::Tensor& q, const torch::Tensor& k,
                                   const torch::Tensor& v, const torch::Tensor& bias);

}  // namespace florenz::model
