// The fused CPU attention (workers/model/attention_kernel.h) against LibTorch's unfused
// matmul → softmax → matmul: outputs and gradients of self- and cross-attention, with padding
// and causal biases, and the no-grad decoding kernel on strided views.
#include "workers/model/attention_kernel.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "workers/model/attention.h"

namespace florenz::model {
namespace {

// [B, T, H·G·dh] laid out [H, G, dh] → member g as [B, H, T, dh].
torch::Tensor Member(const torch::Tensor& packed, int64_t heads, int64_t group, int64_t g) {
  const int64_t b = packed.size(0), t = packed.size(1);
  return packed.view({b, t, heads, group, -1}).select(3, g).transpose(1, 2);
}

torch::Tensor Merge(const torch::Tensor& x) {  // [B, H, T, dh] → [B, T, H·dh]
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), -1});
}

void ExpectClose(const torch::Tensor& a, const torch::Tensor& b, double tol) {
  ASSERT_EQ(a.sizes(), b.sizes());
  EXPECT_LT((a - b).abs().max().item<double>(), tol);
}

// Key-padding mask with a fully padded sample (row 1) and a partly padded one (row 2).
torch::Tensor KeyMask(int64_t b, int64_t tk) {
  torch::Tensor mask = torch::ones({b, tk}, torch::kBool);
  mask[1].fill_(false);
  mask[2].slice(0, tk - 3).fill_(false);
  return mask;
}

TEST(AttentionKernelTest, SelfAttentionMatchesUnfusedWithGradients) {
  torch::manual_seed(3);
  const int64_t b = 4, t = 7, heads = 3, dh = 5;
  for (const bool causal : {false, true}) {
    const torch::Tensor bias =
        causal ? AttentionBias(torch::Tensor(), t, true) : AttentionBias(KeyMask(b, t), t, false);
    torch::Tensor qkv = torch::randn({b, t, heads * 3 * dh}, torch::requires_grad());
    torch::Tensor weight = torch::randn({b, t, heads * dh});
    torch::Tensor fused = FusedSelfAttention(qkv, bias, heads);
    (fused * weight).sum().backward();
    const torch::Tensor fused_grad = qkv.grad().clone();
    qkv.mutable_grad().reset();
    torch::Tensor reference = Merge(ScaledDotProductAttention(
        Member(qkv, heads, 3, 0), Member(qkv, heads, 3, 1), Member(qkv, heads, 3, 2), bias));
    (reference * weight).sum().backward();
    ExpectClose(fused, reference, 1e-5);
    ExpectClose(fused_grad, qkv.grad(), 1e-5);
  }
}

TEST(AttentionKernelTest, CrossAttentionMatchesUnfusedWithGradients) {
  torch::manual_seed(4);
  const int64_t b = 3, tq = 6, tk = 9, heads = 2, dh = 8;
  const torch::Tensor bias = AttentionBias(KeyMask(b, tk), tq, false);
  torch::Tensor q = torch::randn({b, tq, heads * dh}, torch::requires_grad());
  torch::Tensor kv = torch::randn({b, tk, heads * 2 * dh}, torch::requires_grad());
  torch::Tensor weight = torch::randn({b, tq, heads * dh});
  torch::Tensor fused = FusedCrossAttention(q, kv, bias, heads);
  (fused * weight).sum().backward();
  const torch::Tensor dq = q.grad().clone(), dkv = kv.grad().clone();
  q.mutable_grad().reset();
  kv.mutable_grad().reset();
  torch::Tensor reference = Merge(ScaledDotProductAttention(
      Member(q, heads, 1, 0), Member(kv, heads, 2, 0), Member(kv, heads, 2, 1), bias));
  (reference * weight).sum().backward();
  ExpectClose(fused, reference, 1e-5);
  ExpectClose(dq, q.grad(), 1e-5);
  ExpectClose(dkv, kv.grad(), 1e-5);
}

TEST(AttentionKernelTest, NoGradKernelMatchesUnfusedOnStridedViews) {
  torch::manual_seed(5);
  const int64_t b = 3, heads = 4, tq = 1, tk = 11, dh = 6;
  const torch::Tensor q = torch::randn({b, tq, heads, dh}).transpose(1, 2);
  const torch::Tensor k = torch::randn({b, heads, tk, 2 * dh}).narrow(3, dh, dh);
  const torch::Tensor v = torch::randn({b, heads, tk, dh});
  const torch::Tensor bias = AttentionBias(KeyMask(b, tk), tq, false);
  torch::Tensor reference;
  {
    // requires_grad selects the unfused path of ScaledDotProductAttention.
    const torch::Tensor qg = q.detach().requires_grad_();
    reference = ScaledDotProductAttention(qg, k, v, bias).detach();
  }
  torch::NoGradGuard no_grad;
  ExpectClose(FusedAttentionNoGrad(q, k, v, bias), reference, 1e-5);
  ExpectClose(ScaledDotProductAttention(q, k, v, bias), reference, 1e-5);
}

}  // namespace
}  // namespace florenz::model
