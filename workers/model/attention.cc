// Hand-written multi-head attention (attention.h): masks as an additive −inf bias (or causal in
// the kernel on CUDA), projections from parallel/. On CPU float32 the attention itself is the
// fused kernel of attention_kernel.h; on CUDA LibTorch's scaled_dot_product_attention; elsewhere
// heads are the batch dimension of two matmuls.
#include "workers/model/attention.h"

#include <torch/torch.h>
#include <torch/version.h>
#if TORCH_VERSION_MAJOR >= 2
#include <ATen/autocast_mode.h>
#endif

#include <cmath>
#include <limits>

#include "parallel/mac_counter.h"
#include "workers/model/attention_kernel.h"

namespace florenz::model {

namespace {

#if TORCH_VERSION_MAJOR >= 2
// LibTorch 2.4 replaced the CUDA-specific autocast queries with ones that take the device type
// (as workers/train/precision.cc wraps them for setting autocast).
#if TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 4
bool CudaAutocastEnabled() { return at::autocast::is_autocast_enabled(at::kCUDA); }
at::ScalarType CudaAutocastDtype() { return at::autocast::get_autocast_dtype(at::kCUDA); }
#else
bool CudaAutocastEnabled() { return at::autocast::is_enabled(); }
at::ScalarType CudaAutocastDtype() { return at::autocast::get_autocast_gpu_dtype(); }
#endif
#endif

}  // namespace

torch::Tensor AttentionBias(const torch::Tensor& key_mask, int64_t queries, bool causal,
                            const torch::Device& device) {
  // Built where it is used: on the device of the mask (the batch's), or on `device`.
  const auto on = key_mask.defined() ? key_mask.options() : torch::TensorOptions().device(device);
  torch::Tensor allowed;  // [B|1, 1, Tq|1, Tk]
  if (key_mask.defined()) {
    allowed = key_mask.view({key_mask.size(0), 1, 1, key_mask.size(1)});
    if (causal)
      allowed = allowed & torch::ones({queries, key_mask.size(1)}, on.dtype(torch::kBool)).tril();
  } else {
    allowed = torch::ones({1, 1, queries, queries}, on.dtype(torch::kBool)).tril();
  }
  // Guard rows with no allowed key: let them attend everywhere (finite, ignored downstream).
  allowed = allowed | ~allowed.any(-1, /*keepdim=*/true);
  return torch::zeros(allowed.sizes(), on.dtype(torch::kFloat32))
      .masked_fill_(~allowed, -std::numeric_limits<float>::infinity());
}

torch::Tensor CausalBias(int64_t queries, const torch::Device& device) {
  return AttentionBias(torch::Tensor(), queries, /*causal=*/true, device);
}

bool CausalAttentionKernel(const torch::Device& device) {
#if TORCH_VERSION_MAJOR >= 2
  return device.is_cuda();
#else
  (void)device;
  return false;
#endif
}

torch::Tensor ForAttentionKernels(const torch::Tensor& bias) {
#if TORCH_VERSION_MAJOR >= 2
  // scaled_dot_product_attention adds the mask in the query's dtype: the autocast dtype.
  if (bias.is_cuda() && CudaAutocastEnabled()) return bias.to(CudaAutocastDtype());
#endif
  return bias;
}

namespace {

// The mask of ScaledDotProductAttention as a bias tensor, for the paths that add one.
torch::Tensor BiasTensor(const torch::Tensor& bias, bool causal, int64_t queries,
                         const torch::Device& device) {
  if (bias.defined()) return bias;
  if (causal) return CausalBias(queries, device);
  return torch::zeros({1, 1, 1, 1}, torch::TensorOptions().device(device));
}

}  // namespace

torch::Tensor ScaledDotProductAttention(const torch::Tensor& q, const torch::Tensor& k,
                                        const torch::Tensor& v, const torch::Tensor& bias,
                                        bool causal) {
  const bool grad = torch::GradMode::is_enabled() &&
                    (q.requires_grad() || k.requires_grad() || v.requires_grad());
  if (!grad && FusedAttentionSupports(q)) {
    return FusedAttentionNoGrad(q, k, v, BiasTensor(bias, causal, q.size(2), q.device()));
  }
  const int64_t b = q.size(0), h = q.size(1), tq = q.size(2), tk = k.size(2), dh = q.size(3);
  MacCounter::Add(2.0 * b * h * tq * tk * dh);  // scores and mixing
#if TORCH_VERSION_MAJOR >= 2
  // On a GPU, PyTorch's fused kernels: no [B, H, Tq, Tk] score tensor is kept for backward.
  // Without a mask (the decoder's causal self-attention, a decoding step) flash attention is
  // eligible; a padding bias leaves the memory-efficient kernel. The additive mask must have
  // the query's dtype (ForAttentionKernels converted it once; −inf stays −inf).
  if (q.is_cuda()) {
    if (bias.defined()) {
      return at::scaled_dot_product_attention(q, k, v, bias.to(q.scalar_type()),
                                              /*dropout_p=*/0.0, /*is_causal=*/false);
    }
    return at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0, causal);
  }
#endif
  torch::Tensor scores = torch::matmul(q * (1.0 / std::sqrt(static_cast<double>(dh))),
                                       k.transpose(-2, -1));  // [B, H, Tq, Tk]
  const torch::Tensor mask = BiasTensor(bias, causal, tq, q.device());
  return torch::matmul(torch::softmax(scores + mask, -1), v);  // [B, H, Tq, dh]
}

void KeyValue::Select(const torch::Tensor& index) {
  if (!k.defined()) return;  // a self-attention cache before the first step
  k = k.index_select(0, index);
  v = v.index_select(0, index);
}

namespace {

// [B, H, T, dh] → [B, T, H·dh]
torch::Tensor MergeHeads(const torch::Tensor& x) {
  return x.permute({0, 2, 1, 3}).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
}

ColumnParallelLinearOptions Column(const AttentionOptions& o, const std::string& part) {
  ColumnParallelLinearOptions c;
  c.gather_output = false;  // heads stay on their rank
  c.init_std = o.qkv_init_std;
  c.seed = LayerSeed(o.seed, o.name + "." + part);
  c.tp = o.tp;
  return c;
}

RowParallelLinearOptions Row(const AttentionOptions& o) {
  RowParallelLinearOptions r;
  r.input_is_parallel = true;
  r.init_std = o.out_init_std;
  r.seed = LayerSeed(o.seed, o.name + ".out");
  r.tp = o.tp;
  return r;
}

}  // namespace

SelfAttentionImpl::SelfAttentionImpl(const AttentionOptions& o)
    : heads_(ShardSize(o.heads, o.tp, "attention heads")), query_scale_(o.query_scale) {
  qkv_ = register_module("qkv", ColumnParallelLinear(o.d_model, 3 * o.d_model, Column(o, "qkv")));
  out_ = register_module("out", RowParallelLinear(o.d_model, o.d_model, Row(o)));
  if (query_scale_ != 1.0) {  // per head [q | k | v], each dh wide
    const int64_t dh = o.d_model / o.heads;
    torch::Tensor scale = torch::ones({heads_, 3, dh});
    scale.select(1, 0).fill_(query_scale_);
    qkv_scale_ = register_buffer("qkv_scale", scale.view({-1}));
  }
}

torch::Tensor SelfAttentionImpl::Project(const torch::Tensor& x) {
  const torch::Tensor projected = qkv_(x);
  if (!qkv_scale_.defined()) return projected;
  return projected * qkv_scale_.to(projected.scalar_type());
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& bias,
                                         bool causal) {
  const int64_t b = x.size(0), t = x.size(1);
  // The projection decides: under bf16 autocast it is bfloat16 even where x is float32.
  const torch::Tensor projected = Project(x);  // [B, T, H·3·dh]
  if (FusedAttentionSupports(projected)) {
    return out_(FusedSelfAttention(projected, BiasTensor(bias, causal, t, x.device()), heads_));
  }
  // [B, T, H·3·dh] → [B, H, T, 3·dh] → q, k, v [B, H, T, dh]
  auto qkv = projected.view({b, t, heads_, -1}).permute({0, 2, 1, 3}).chunk(3, -1);
  return out_(MergeHeads(ScaledDotProductAttention(qkv[0], qkv[1], qkv[2], bias, causal)));
}

torch::Tensor SelfAttentionImpl::Step(const torch::Tensor& x, KeyValue* cache) {
  const int64_t b = x.size(0);
  // [B, 1, H·3·dh] → [B, H, 1, 3·dh] → q, k, v [B, H, 1, dh]
  auto qkv = Project(x).view({b, 1, heads_, -1}).permute({0, 2, 1, 3}).chunk(3, -1);
  // Growing by cat copies O(Tk) per step, the same order as the attention itself; a
  // preallocated buffer would not survive the per-step index_select of beam search anyway.
  cache->k = cache->k.defined() ? torch::cat({cache->k, qkv[1]}, 2) : qkv[1];  // [B, H, Tk, dh]
  cache->v = cache->v.defined() ? torch::cat({cache->v, qkv[2]}, 2) : qkv[2];
  // The newest query may see every cached key: no mask where a kernel takes none (flash
  // attention is then eligible); the paths that add a bias add zeros, as they always have.
  const torch::Tensor no_bias =
      CausalAttentionKernel(x.device()) ? torch::Tensor() : torch::zeros({1, 1, 1, 1}, x.options());
  return out_(MergeHeads(ScaledDotProductAttention(qkv[0], cache->k, cache->v, no_bias)));
}

CrossAttentionImpl::CrossAttentionImpl(const AttentionOptions& o)
    : heads_(ShardSize(o.heads, o.tp, "attention heads")), query_scale_(o.query_scale) {
  q_ = register_module("q", ColumnParallelLinear(o.d_model, o.d_model, Column(o, "q")));
  kv_ = register_module("kv", ColumnParallelLinear(o.d_model, 2 * o.d_model, Column(o, "kv")));
  out_ = register_module("out", RowParallelLinear(o.d_model, o.d_model, Row(o)));
}

torch::Tensor CrossAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& memory,
                                          const torch::Tensor& bias) {
  const torch::Tensor q = Queries(x), kv = kv_(memory);  // bfloat16 under bf16 autocast
  if (FusedAttentionSupports(q) && FusedAttentionSupports(kv)) {
    return out_(FusedCrossAttention(q, kv, bias, heads_));
  }
  return AttendProjected(q, SplitKeyValue(kv), bias);
}

KeyValue CrossAttentionImpl::MemoryKeyValue(const torch::Tensor& memory) {
  return SplitKeyValue(kv_(memory));
}

KeyValue CrossAttentionImpl::SplitKeyValue(const torch::Tensor& kv) const {
  const int64_t b = kv.size(0), e = kv.size(1);
  // [B, E, H·2·dh] → [B, H, E, 2·dh] → k, v [B, H, E, dh]
  auto parts = kv.view({b, e, heads_, -1}).permute({0, 2, 1, 3}).chunk(2, -1);
  return {parts[0], parts[1]};
}

torch::Tensor CrossAttentionImpl::Attend(const torch::Tensor& x, const KeyValue& memory,
                                         const torch::Tensor& bias) {
  return AttendProjected(Queries(x), memory, bias);
}

torch::Tensor CrossAttentionImpl::Queries(const torch::Tensor& x) {
  return query_scale_ == 1.0 ? q_(x) : q_(x) * query_scale_;
}

torch::Tensor CrossAttentionImpl::AttendProjected(const torch::Tensor& projected,
                                                  const KeyValue& memory,
                                                  const torch::Tensor& bias) {
  const int64_t b = projected.size(0), t = projected.size(1);
  torch::Tensor q = projected.view({b, t, heads_, -1}).transpose(1, 2);  // [B, H, T, dh]
  return out_(MergeHeads(ScaledDotProductAttention(q, memory.k, memory.v, bias)));
}

}  // namespace florenz::model
