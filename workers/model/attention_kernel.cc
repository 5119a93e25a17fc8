// Fused CPU attention (attention_kernel.h): per (sample, head), scores, softmax and mixing in
// one loop nest with the keys and values transposed into a small scratch buffer, so the inner
// loops run along contiguous rows; the backward recomputes nothing but reads the saved
// probabilities. Heads are independent, so (sample, head) pairs are split across threads.
#include "workers/model/attention_kernel.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "parallel/mac_counter.h"

namespace florenz::model {

namespace {

// Element (b, h, t, d) of a [B, H, T, dh] tensor with unit stride along dh.
struct Heads {
  float* data;
  int64_t sb, sh, st;
  float* Row(int64_t b, int64_t h, int64_t t) const { return data + b * sb + h * sh + t * st; }
};

// The bias expanded to [B, 1, Tq, Tk] (zero strides where it broadcasts).
struct Bias {
  const float* data;
  int64_t sb, sq, sk;
};

struct Shape {
  int64_t b, h, tq, tk, dh;
  float scale;  // 1 / sqrt(dh)
};

Heads HeadsOf(const torch::Tensor& x) {  // x [B, H, T, dh], x.stride(3) == 1
  return {x.data_ptr<float>(), x.stride(0), x.stride(1), x.stride(2)};
}

Bias BiasOf(const torch::Tensor& bias, const Shape& s) {
  const torch::Tensor e = bias.expand({s.b, 1, s.tq, s.tk});
  return {e.data_ptr<float>(), e.stride(0), e.stride(2), e.stride(3)};
}

// (sample, head) pairs per task: enough work to be worth a thread.
int64_t Grain(const Shape& s) { return std::max<int64_t>(1, 32768 / (s.tq * s.tk * s.dh)); }

// Compiled for AVX2 as well where the CPU has it (the loops vectorize along contiguous rows;
// no float sum is reordered, so both versions give the same bits).
// The per-head bodies are templates on the head width (0: any width) so the loops along dh have
// a fixed trip count for the common widths, inlined into the dispatching clones.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define FLORENZ_KERNEL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define FLORENZ_KERNEL_CLONES
#endif
#if defined(__GNUC__)
#define FLORENZ_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define FLORENZ_ALWAYS_INLINE inline
#endif

// One (sample b, head h) of the forward; kt [dh·Tk] and row [Tk] are scratch.
template <int kDh>
FLORENZ_ALWAYS_INLINE void ForwardHeadT(const Shape& s, int64_t b, int64_t h, const Heads& q,
                                        const Heads& k, const Heads& v, const Bias& bias,
                                        const Heads& out, float* probs, float* kt, float* row) {
  const int64_t tk = s.tk, dh = kDh > 0 ? kDh : s.dh;
  for (int64_t j = 0; j < tk; ++j) {
    const float* kj = k.Row(b, h, j);
    for (int64_t d = 0; d < dh; ++d) kt[d * tk + j] = kj[d];
  }
  for (int64_t i = 0; i < s.tq; ++i) {
    float* p = probs != nullptr ? probs + ((b * s.h + h) * s.tq + i) * tk : row;
    const float* qi = q.Row(b, h, i);
    const float* bi = bias.data + b * bias.sb + i * bias.sq;
    std::fill(p, p + tk, 0.0f);
    for (int64_t d = 0; d < dh; ++d) {
      const float c = qi[d] * s.scale;
      const float* kd = kt + d * tk;
      for (int64_t j = 0; j < tk; ++j) p[j] += c * kd[j];
    }
    float max = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < tk; ++j) {
      p[j] += bi[j * bias.sk];
      max = std::max(max, p[j]);
    }
    float sum = 0;
    for (int64_t j = 0; j < tk; ++j) {
      p[j] = std::exp(p[j] - max);
      sum += p[j];
    }
    const float inv = 1.0f / sum;
    for (int64_t j = 0; j < tk; ++j) p[j] *= inv;
    float* oi = out.Row(b, h, i);
    std::fill(oi, oi + dh, 0.0f);
    for (int64_t j = 0; j < tk; ++j) {
      const float pj = p[j];
      const float* vj = v.Row(b, h, j);
      for (int64_t d = 0; d < dh; ++d) oi[d] += pj * vj[d];
    }
  }
}

FLORENZ_KERNEL_CLONES
void ForwardHead(const Shape& s, int64_t b, int64_t h, const Heads& q, const Heads& k,
                 const Heads& v, const Bias& bias, const Heads& out, float* probs, float* kt,
                 float* row) {
  switch (s.dh) {
    case 8:
      return ForwardHeadT<8>(s, b, h, q, k, v, bias, out, probs, kt, row);
    case 16:
      return ForwardHeadT<16>(s, b, h, q, k, v, bias, out, probs, kt, row);
    case 32:
      return ForwardHeadT<32>(s, b, h, q, k, v, bias, out, probs, kt, row);
    case 64:
      return ForwardHeadT<64>(s, b, h, q, k, v, bias, out, probs, kt, row);
    default:
      return ForwardHeadT<0>(s, b, h, q, k, v, bias, out, probs, kt, row);
  }
}

// out = softmax(q k^T · scale + bias) v; probs [B, H, Tq, Tk] keeps the softmax when not null.
void ForwardKernel(const Shape& s, Heads q, Heads k, Heads v, Bias bias, Heads out, float* probs) {
  at::parallel_for(0, s.b * s.h, Grain(s), [&](int64_t begin, int64_t end) {
    std::vector<float> kt(s.dh * s.tk), row(s.tk);  // k^T [dh, Tk]
    for (int64_t bh = begin; bh < end; ++bh) {
      ForwardHead(s, bh / s.h, bh % s.h, q, k, v, bias, out, probs, kt.data(), row.data());
    }
  });
}

// With P the saved softmax and dO the output gradient, per (sample, head):
//   dV = P^T dO,  dP = dO V^T,  dS = P ∘ (dP − rowsum(P ∘ dP)),
//   dQ = scale · dS K,  dK = dS^T (scale · Q).
// Every row of dq, dk and dv is written (no accumulation into the outputs).
//
// One (sample b, head h) of the backward; vt [dh·Tk], dp [Tk], dkb and dvb [Tk·dh], qs and dqi
// [dh] are scratch.
template <int kDh>
FLORENZ_ALWAYS_INLINE void BackwardHeadT(const Shape& s, int64_t b, int64_t h, const Heads& q,
                                         const Heads& k, const Heads& v, const float* probs,
                                         const Heads& grad, const Heads& dq, const Heads& dk,
                                         const Heads& dv, float* vt, float* dp, float* dkb,
                                         float* dvb, float* qs, float* dqi) {
  const int64_t tk = s.tk, dh = kDh > 0 ? kDh : s.dh;
  for (int64_t j = 0; j < tk; ++j) {
    const float* vj = v.Row(b, h, j);
    for (int64_t d = 0; d < dh; ++d) vt[d * tk + j] = vj[d];
  }
  std::fill(dkb, dkb + tk * dh, 0.0f);
  std::fill(dvb, dvb + tk * dh, 0.0f);
  for (int64_t i = 0; i < s.tq; ++i) {
    const float* p = probs + ((b * s.h + h) * s.tq + i) * tk;
    const float* go = grad.Row(b, h, i);
    for (int64_t j = 0; j < tk; ++j) {
      const float c = p[j];
      float* dvj = dvb + j * dh;
      for (int64_t d = 0; d < dh; ++d) dvj[d] += c * go[d];
    }
    std::fill(dp, dp + tk, 0.0f);
    for (int64_t d = 0; d < dh; ++d) {
      const float g = go[d];
      const float* vd = vt + d * tk;
      for (int64_t j = 0; j < tk; ++j) dp[j] += g * vd[j];
    }
    float dot = 0;
    for (int64_t j = 0; j < tk; ++j) dot += p[j] * dp[j];
    for (int64_t j = 0; j < tk; ++j) dp[j] = p[j] * (dp[j] - dot);
    const float* qi = q.Row(b, h, i);
    for (int64_t d = 0; d < dh; ++d) qs[d] = qi[d] * s.scale;
    std::fill(dqi, dqi + dh, 0.0f);
    for (int64_t j = 0; j < tk; ++j) {
      const float c = dp[j];
      const float* kj = k.Row(b, h, j);
      for (int64_t d = 0; d < dh; ++d) dqi[d] += c * kj[d];
      float* dkj = dkb + j * dh;
      for (int64_t d = 0; d < dh; ++d) dkj[d] += c * qs[d];
    }
    float* dqo = dq.Row(b, h, i);
    for (int64_t d = 0; d < dh; ++d) dqo[d] = dqi[d] * s.scale;
  }
  for (int64_t j = 0; j < tk; ++j) {
    std::copy(dkb + j * dh, dkb + (j + 1) * dh, dk.Row(b, h, j));
    std::copy(dvb + j * dh, dvb + (j + 1) * dh, dv.Row(b, h, j));
  }
}

FLORENZ_KERNEL_CLONES
void BackwardHead(const Shape& s, int64_t b, int64_t h, const Heads& q, const Heads& k,
                  const Heads& v, const float* probs, const Heads& grad, const Heads& dq,
                  const Heads& dk, const Heads& dv, float* vt, float* dp, float* dkb, float* dvb,
                  float* qs, float* dqi) {
#define FLORENZ_BACKWARD_HEAD(width) \
  BackwardHeadT<width>(s, b, h, q, k, v, probs, grad, dq, dk, dv, vt, dp, dkb, dvb, qs, dqi)
  switch (s.dh) {
    case 8:
      return FLORENZ_BACKWARD_HEAD(8);
    case 16:
      return FLORENZ_BACKWARD_HEAD(16);
    case 32:
      return FLORENZ_BACKWARD_HEAD(32);
    case 64:
      return FLORENZ_BACKWARD_HEAD(64);
    default:
      return FLORENZ_BACKWARD_HEAD(0);
  }
#undef FLORENZ_BACKWARD_HEAD
}

void BackwardKernel(const Shape& s, Heads q, Heads k, Heads v, const float* probs, Heads grad,
                    Heads dq, Heads dk, Heads dv) {
  at::parallel_for(0, s.b * s.h, Grain(s), [&](int64_t begin, int64_t end) {
    const int64_t tk = s.tk, dh = s.dh;
    std::vector<float> vt(dh * tk), dp(tk), dkb(tk * dh), dvb(tk * dh), qs(dh), dqi(dh);
    for (int64_t bh = begin; bh < end; ++bh) {
      BackwardHead(s, bh / s.h, bh % s.h, q, k, v, probs, grad, dq, dk, dv, vt.data(), dp.data(),
                   dkb.data(), dvb.data(), qs.data(), dqi.data());
    }
  });
}

Shape MakeShape(int64_t b, int64_t h, int64_t tq, int64_t tk, int64_t dh) {
  MacCounter::Add(2.0 * b * h * tq * tk * dh);  // scores and mixing
  return {b, h, tq, tk, dh, static_cast<float>(1.0 / std::sqrt(static_cast<double>(dh)))};
}

// Heads of a packed projection x [B, T, H·G·dh] laid out [H, G, dh]: member g of each group.
Heads Packed(const torch::Tensor& x, int64_t heads, int64_t group, int64_t g) {
  const int64_t width = x.size(2);
  return {x.data_ptr<float>() + g * (width / heads / group), x.size(1) * width, width / heads,
          width};
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

bool NeedsGrad(const torch::Tensor& x) {
  return torch::GradMode::is_enabled() && x.requires_grad();
}

struct SelfAttentionFn : torch::autograd::Function<SelfAttentionFn> {
  // qkv [B, T, H·3·dh] (contiguous) → [B, T, H·dh]
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& qkv,
                               const torch::Tensor& bias, int64_t heads) {
    const int64_t b = qkv.size(0), t = qkv.size(1), dh = qkv.size(2) / (3 * heads);
    const Shape s = MakeShape(b, heads, t, t, dh);
    torch::Tensor out = torch::empty({b, t, heads * dh}, qkv.options());
    torch::Tensor probs = torch::empty({b, heads, t, t}, qkv.options());
    ForwardKernel(s, Packed(qkv, heads, 3, 0), Packed(qkv, heads, 3, 1), Packed(qkv, heads, 3, 2),
                  BiasOf(bias, s), Packed(out, heads, 1, 0), probs.data_ptr<float>());
    ctx->save_for_backward({qkv, probs});
    ctx->saved_data["heads"] = heads;
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& qkv = saved[0];
    const int64_t heads = ctx->saved_data["heads"].toInt();
    const int64_t b = qkv.size(0), t = qkv.size(1), dh = qkv.size(2) / (3 * heads);
    const Shape s{b, heads, t, t, dh, static_cast<float>(1.0 / std::sqrt(static_cast<double>(dh)))};
    const torch::Tensor go = grad[0].contiguous();
    torch::Tensor dqkv = torch::empty_like(qkv);
    BackwardKernel(s, Packed(qkv, heads, 3, 0), Packed(qkv, heads, 3, 1), Packed(qkv, heads, 3, 2),
                   saved[1].data_ptr<float>(), Packed(go, heads, 1, 0), Packed(dqkv, heads, 3, 0),
                   Packed(dqkv, heads, 3, 1), Packed(dqkv, heads, 3, 2));
    return {dqkv, torch::Tensor(), torch::Tensor()};
  }
};

struct CrossAttentionFn : torch::autograd::Function<CrossAttentionFn> {
  // q [B, Tq, H·dh], kv [B, Tk, H·2·dh] (contiguous) → [B, Tq, H·dh]
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& q,
                               const torch::Tensor& kv, const torch::Tensor& bias, int64_t heads) {
    const int64_t b = q.size(0), tq = q.size(1), tk = kv.size(1), dh = q.size(2) / heads;
    const Shape s = MakeShape(b, heads, tq, tk, dh);
    torch::Tensor out = torch::empty_like(q);
    torch::Tensor probs = torch::empty({b, heads, tq, tk}, q.options());
    ForwardKernel(s, Packed(q, heads, 1, 0), Packed(kv, heads, 2, 0), Packed(kv, heads, 2, 1),
                  BiasOf(bias, s), Packed(out, heads, 1, 0), probs.data_ptr<float>());
    ctx->save_for_backward({q, kv, probs});
    ctx->saved_data["heads"] = heads;
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &q = saved[0], &kv = saved[1];
    const int64_t heads = ctx->saved_data["heads"].toInt();
    const int64_t b = q.size(0), tq = q.size(1), tk = kv.size(1), dh = q.size(2) / heads;
    const Shape s{b,  heads, tq,
                  tk, dh,    static_cast<float>(1.0 / std::sqrt(static_cast<double>(dh)))};
    const torch::Tensor go = grad[0].contiguous();
    torch::Tensor dq = torch::empty_like(q), dkv = torch::empty_like(kv);
    BackwardKernel(s, Packed(q, heads, 1, 0), Packed(kv, heads, 2, 0), Packed(kv, heads, 2, 1),
                   saved[2].data_ptr<float>(), Packed(go, heads, 1, 0), Packed(dq, heads, 1, 0),
                   Packed(dkv, heads, 2, 0), Packed(dkv, heads, 2, 1));
    return {dq, dkv, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

bool FusedAttentionSupports(const torch::Tensor& x) {
  return x.device().is_cpu() && x.scalar_type() == torch::kFloat32;
}

torch::Tensor FusedSelfAttention(const torch::Tensor& qkv, const torch::Tensor& bias,
                                 int64_t heads) {
  const torch::Tensor x = qkv.contiguous();
  const torch::Tensor b = bias.to(torch::kFloat32);
  if (NeedsGrad(x)) return SelfAttentionFn::apply(x, b, heads);
  const int64_t n = x.size(0), t = x.size(1), dh = x.size(2) / (3 * heads);
  const Shape s = MakeShape(n, heads, t, t, dh);
  torch::Tensor out = torch::empty({n, t, heads * dh}, x.options());
  ForwardKernel(s, Packed(x, heads, 3, 0), Packed(x, heads, 3, 1), Packed(x, heads, 3, 2),
                BiasOf(b, s), Packed(out, heads, 1, 0), nullptr);
  return out;
}

torch::Tensor FusedCrossAttention(const torch::Tensor& q, const torch::Tensor& kv,
                                  const torch::Tensor& bias, int64_t heads) {
  const torch::Tensor qc = q.contiguous(), kvc = kv.contiguous();
  const torch::Tensor b = bias.to(torch::kFloat32);
  if (NeedsGrad(qc) || NeedsGrad(kvc)) return CrossAttentionFn::apply(qc, kvc, b, heads);
  const int64_t n = qc.size(0), tq = qc.size(1), tk = kvc.size(1), dh = qc.size(2) / heads;
  const Shape s = MakeShape(n, heads, tq, tk, dh);
  torch::Tensor out = torch::empty_like(qc);
  ForwardKernel(s, Packed(qc, heads, 1, 0), Packed(kvc, heads, 2, 0), Packed(kvc, heads, 2, 1),
                BiasOf(b, s), Packed(out, heads, 1, 0), nullptr);
  return out;
}

torch::Tensor FusedAttentionNoGrad(const torch::Tensor& q, const torch::Tensor& k,
                                   const torch::Tensor& v, const torch::Tensor& bias) {
  const auto unit = [](const torch::Tensor& x) { return x.stride(3) == 1 ? x : x.contiguous(); };
  const torch::Tensor qu = unit(q), ku = unit(k), vu = unit(v);
  const int64_t b = q.size(0), h = q.size(1), tq = q.size(2), tk = k.size(2), dh = q.size(3);
  const Shape s = MakeShape(b, h, tq, tk, dh);
  torch::Tensor out = torch::empty({b, tq, h, dh}, q.options()).permute({0, 2, 1, 3});
  ForwardKernel(s, HeadsOf(qu), HeadsOf(ku), HeadsOf(vu), BiasOf(bias.to(torch::kFloat32), s),
                HeadsOf(out), nullptr);
  return out;
}

}  // namespace florenz::model
