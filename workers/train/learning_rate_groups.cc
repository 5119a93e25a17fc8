// Parameter groups and learning-rate multipliers (see learning_rate_groups.h).
#include "workers/train/learning_rate_groups.h"

#include <string>

namespace florenz::train {
namespace {

// A weight matrix of an attention or MLP block ("decoder.0.cross_attention.kv.weight",
// "encoder.1.mlp.up.weight"): muP's hidden matrices.
bool IsHiddenMatrix(const std::string& name, const torch::Tensor& p) {
  const bool weight = name.size() >= 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
  const bool block =
      name.find("attention.") != std::string::npos || name.find(".mlp.") != std::string::npos;
  return weight && block && p.dim() == 2;
}

}  // namespace

LearningRateGroups MakeLearningRateGroups(torch::nn::Module& model, const ModelOptions& options,
                                          const ModelSize& size) {
  LearningRateGroups out;
  if (options.parametrization != Parametrization::kMup) {
    out.groups.emplace_back(model.parameters());
    out.multipliers = {1.0};
    return out;
  }
  std::vector<torch::Tensor> hidden, other;
  for (const auto& item : model.named_parameters()) {
    (IsHiddenMatrix(item.key(), item.value()) ? hidden : other).push_back(item.value());
  }
  out.groups.emplace_back(other);
  out.groups.emplace_back(hidden);
  out.multipliers = {1.0, static_cast<double>(options.base_width) / size.d_model};
  return out;
}

void SetLearningRate(torch::optim::Optimizer& optimizer, double lr,
                     const std::vector<double>& multipliers) {
  auto& groups = optimizer.param_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    // A standard model's one group gets lr itself (no multiplication: the same bits as always).
    const double rate = multipliers[g] == 1.0 ? lr : lr * multipliers[g];
    static_cast<torch::optim::AdamWOptions&>(groups[g].options()).lr(rate);
  }
}

}  // namespace florenz::train
