// One AdamW step for the trainer. On the CPU (and with LibTorch 1.x) it is exactly
// torch::optim::AdamW::step(), so CPU fp32 results keep every bit. On CUDA with LibTorch 2.x it
// is one fused multi-tensor kernel (at::_fused_adamw_, what torch.optim.AdamW(fused=True) runs)
// instead of about ten kernels per parameter; it reads and writes the same optimizer state
// (step, exp_avg, exp_avg_sq), so checkpoints and resume are unchanged.
#pragma once

#include <torch/torch.h>

namespace florenz::train {

// Steps `optimizer` on its parameters' gradients (parameters without one are skipped, as
// torch::optim::AdamW does). The fused path takes every parameter group whose options are
// plain AdamW (no amsgrad) and whose parameters are float32 on one CUDA device.
void StepAdamW(torch::optim::AdamW& optimizer);

// True where StepAdamW runs the fused kernel for parameters on `device`.
bool FusedAdamWAvailable(const torch::Device& device);

}  // namespace florenz::train
