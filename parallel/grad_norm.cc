// Tensor-parallel-aware gradient-norm clipping: one all-reduce of the sharded squares.
#include "parallel/grad_norm.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <unordered_set>

#include "parallel/column_parallel_linear.h"
#include "parallel/communicator.h"
#include "parallel/row_parallel_linear.h"
#include "parallel/vocab_parallel_embedding.h"

namespace florenz {
namespace {

// Σ ||g||² over the gradients in `params`, as a float64 [1] on `device` (the parameters').
torch::Tensor SquaredNorm(const std::vector<torch::Tensor>& params, const torch::Device& device) {
  std::vector<torch::Tensor> norms;
  if (device.is_cuda()) {  // one multi-tensor kernel instead of one norm per parameter
    std::vector<torch::Tensor> grads;
    for (const auto& p : params) {
      if (p.grad().defined()) grads.push_back(p.grad());
    }
    if (!grads.empty()) {
      return torch::stack(torch::_foreach_norm(grads))
          .to(torch::kFloat64)
          .pow(2)
          .sum()
          .reshape({1});
    }
  }
  for (const auto& p : params) {
    if (p.grad().defined()) norms.push_back(p.grad().norm().to(torch::kFloat64));
  }
  if (norms.empty()) return torch::zeros({1}, torch::TensorOptions(torch::kFloat64).device(device));
  return torch::stack(norms).pow(2).sum().reshape({1});
}

}  // namespace

ParameterSets ClassifyParameters(torch::nn::Module& model) {
  std::unordered_set<const void*> sharded;
  ParameterSets sets;
  auto add = [&](const torch::Tensor& t) {
    if (t.defined() && sharded.insert(t.unsafeGetTensorImpl()).second) sets.sharded.push_back(t);
  };
  for (const auto& module : model.modules(/*include_self=*/true)) {
    if (auto* column = dynamic_cast<ColumnParallelLinearImpl*>(module.get())) {
      add(column->weight);
      add(column->bias);
    } else if (auto* row = dynamic_cast<RowParallelLinearImpl*>(module.get())) {
      add(row->weight);
    } else if (auto* embedding = dynamic_cast<VocabParallelEmbeddingImpl*>(module.get())) {
      add(embedding->weight);
    }
  }
  for (const auto& p : model.parameters()) {
    if (!sharded.count(p.unsafeGetTensorImpl())) sets.replicated.push_back(p);
  }
  return sets;
}

torch::Tensor ClipGradNorm(const ParameterSets& params, double max_norm, const TensorParallel& tp) {
  const torch::Device device = !params.sharded.empty()      ? params.sharded.front().device()
                               : !params.replicated.empty() ? params.replicated.front().device()
                                                            : torch::Device(torch::kCPU);
  torch::Tensor sharded = SquaredNorm(params.sharded, device);
  if (Communicator* comm = RequireCommunicator(tp, "ClipGradNorm")) {
    comm->AllReduce(sharded, ReduceOp::kSum);
  }
  const torch::Tensor norm = (sharded + SquaredNorm(params.replicated, device)).sqrt();  // [1]
  // max_norm / (norm + 1e-6), at most 1, in float64 as the host rule computed it; applied
  // to float32 gradients as the float32 the host's double would have become.
  const torch::Tensor coefficient =
      (max_norm / (norm + 1e-6)).clamp_max(1.0).to(torch::kFloat32);  // [1]
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (const auto* set : {&params.sharded, &params.replicated}) {
    for (const auto& p : *set) {
      if (p.grad().defined()) grads.push_back(p.grad());
    }
  }
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
  if (device.is_cuda()) {
    torch::_foreach_mul_(grads, coefficient.squeeze());  // a few launches for every gradient
    return norm;
  }
#endif
  for (auto& g : grads) g.mul_(coefficient);
  return norm;
}

}  // namespace florenz
