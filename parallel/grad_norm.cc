// Tensor-parallel-aware gradient-norm clipping: one all-reduce of the sharded squares.
#include "parallel/grad_norm.h"

#include <torch/torch.h>

#include <cmath>
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

double ClipGradNorm(const ParameterSets& params, double max_norm, const TensorParallel& tp) {
  const torch::Device device = !params.sharded.empty()      ? params.sharded.front().device()
                               : !params.replicated.empty() ? params.replicated.front().device()
                                                            : torch::Device(torch::kCPU);
  torch::Tensor sharded = SquaredNorm(params.sharded, device);
  if (Communicator* comm = RequireCommunicator(tp, "ClipGradNorm")) {
    comm->AllReduce(sharded, ReduceOp::kSum);
  }
  const double norm = std::sqrt((sharded + SquaredNorm(params.replicated, device)).item<double>());
  const double coefficient = max_norm / (norm + 1e-6);
  if (coefficient < 1) {
    torch::NoGradGuard no_grad;
    for (const auto* set : {&params.sharded, &params.replicated}) {
      for (const auto& p : *set) {
        if (p.grad().defined()) p.grad().mul_(coefficient);
      }
    }
  }
  return norm;
}

}  // namespace florenz
