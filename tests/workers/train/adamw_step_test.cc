// StepAdamW (workers/train/adamw_step.h): on the CPU exactly torch::optim::AdamW::step(), bit
// for bit (the CPU study's results depend on it); on CUDA with LibTorch 2.x the fused kernel
// tracks the per-parameter step within float rounding and keeps the same optimizer state, so a
// checkpoint written by either resumes in the other.
#include "workers/train/adamw_step.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

namespace florenz::train {
namespace {

// Two parameters (one without a gradient in the last step) and five steps of made-up grads.
std::vector<torch::Tensor> Train(const torch::Device& device, bool fused_api) {
  torch::manual_seed(7);
  std::vector<torch::Tensor> params = {torch::randn({5, 3}).to(device).requires_grad_(),
                                       torch::randn({7}).to(device).requires_grad_()};
  torch::optim::AdamW optimizer(
      params, torch::optim::AdamWOptions(3e-3).betas({0.9, 0.95}).eps(1e-8).weight_decay(0.1));
  for (int step = 0; step < 5; ++step) {
    for (size_t i = 0; i < params.size(); ++i) {
      params[i].mutable_grad() =
          (step == 4 && i == 1) ? torch::Tensor() : torch::randn(params[i].sizes()).to(device);
    }
    if (fused_api) {
      StepAdamW(optimizer);
    } else {
      optimizer.step();
    }
  }
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().cpu());
  return out;
}

TEST(AdamWStepTest, OnTheCpuItIsAdamWsOwnStepBitForBit) {
  EXPECT_FALSE(FusedAdamWAvailable(torch::kCPU));
  const auto reference = Train(torch::kCPU, false);
  const auto stepped = Train(torch::kCPU, true);
  for (size_t i = 0; i < reference.size(); ++i) EXPECT_TRUE(torch::equal(reference[i], stepped[i]));
}

TEST(AdamWStepTest, OnAGpuTheFusedKernelTracksThePerParameterStep) {
  if (!torch::cuda::is_available())
    GTEST_SKIP() << "no CUDA device (LibTorch without CUDA or no GPU)";
  if (!FusedAdamWAvailable(torch::Device(torch::kCUDA, 0))) {
    GTEST_SKIP() << "the fused kernel needs LibTorch 2.x";
  }
  const auto reference = Train(torch::Device(torch::kCUDA, 0), false);
  const auto fused = Train(torch::Device(torch::kCUDA, 0), true);
  for (size_t i = 0; i < reference.size(); ++i) {
    EXPECT_TRUE(torch::allclose(reference[i], fused[i], /*rtol=*/1e-5, /*atol=*/1e-6))
        << "parameter " << i << ": " << (reference[i] - fused[i]).abs().max().item<float>();
  }
}

}  // namespace
}  // namespace florenz::train
