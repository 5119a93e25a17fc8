// StepAdamW (adamw_step.h): the fused CUDA kernel over the optimizer's own state, or the
// optimizer's step.
#include "workers/train/adamw_step.h"

#include <torch/version.h>

#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace florenz::train {
namespace {

constexpr bool kFusedBuilt = TORCH_VERSION_MAJOR >= 2;

// The optimizer's state key of `p`: LibTorch 1.x keys by the TensorImpl's address as a string
// (c10::guts::to_string, an ostringstream's `<<` of the pointer; LibTorch 2.x has no
// c10::guts::to_string, and the name is looked up even in the branch not taken), 2.x by the
// address itself.
template <class Map>
typename Map::key_type StateKey(const Map&, const torch::Tensor& p) {
  if constexpr (std::is_same_v<typename Map::key_type, std::string>) {
    std::ostringstream address;
    address << p.unsafeGetTensorImpl();
    return address.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}

}  // namespace

bool FusedAdamWAvailable(const torch::Device& device) { return kFusedBuilt && device.is_cuda(); }

void StepAdamW(torch::optim::AdamW& optimizer) {
  const auto& groups = optimizer.param_groups();
  bool fused = !groups.empty() && !groups.front().params().empty() &&
               FusedAdamWAvailable(groups.front().params().front().device());
  for (const auto& group : groups) {  // amsgrad is not fused here (florenz never sets it)
    if (static_cast<const torch::optim::AdamWOptions&>(group.options()).amsgrad()) fused = false;
  }
  if (!fused) {
    optimizer.step();
    return;
  }
#if TORCH_VERSION_MAJOR >= 2
  torch::NoGradGuard no_grad;
  auto& state = optimizer.state();
  for (auto& group : optimizer.param_groups()) {
    const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
    std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs;
    int64_t step = 0;
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      auto key = StateKey(state, p);
      auto it = state.find(key);
      if (it == state.end()) {  // as AdamW::step() creates it
        auto fresh = std::make_unique<torch::optim::AdamWParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        it = state.emplace(key, std::move(fresh)).first;
      }
      auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
      s.step(s.step() + 1);
      step = s.step();  // every parameter of a run steps together
      params.push_back(p);
      grads.push_back(p.grad());
      exp_avgs.push_back(s.exp_avg());
      exp_avg_sqs.push_back(s.exp_avg_sq());
    }
    if (params.empty()) continue;
    // The kernel reads each parameter's step from a float tensor on the device (a fill
    // kernel, no host sync); one tensor serves every parameter of the group.
    const torch::Tensor step_tensor =
        torch::full({}, static_cast<double>(step),
                    torch::TensorOptions(torch::kFloat32).device(params.front().device()));
    const std::vector<torch::Tensor> steps(params.size(), step_tensor);
    at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps,
                      options.lr(), std::get<0>(options.betas()), std::get<1>(options.betas()),
                      options.weight_decay(), options.eps(), /*amsgrad=*/false,
                      /*maximize=*/false);
  }
#endif
}

}  // namespace florenz::train
