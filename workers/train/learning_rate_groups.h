// The optimizer's parameter groups and each group's learning-rate multiplier
// (model.parametrization, docs/grid-spec.md, "muP"). A standard model has one group at the
// schedule's rate. A muP model (Yang et al. 2022, Adam) has two: the hidden matrices — the
// weights of attention and MLP, whose fan-in grows with the width — at the rate × base_width /
// d_model, and everything else (token embedding, image projection, norms, biases) at the rate.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "experiments/model_options.h"

namespace florenz::train {

struct LearningRateGroups {
  std::vector<torch::optim::OptimizerParamGroup> groups;
  std::vector<double> multipliers;  // one per group
};

// The groups of `model` (named as EncoderDecoder names its parameters) for `size`.
LearningRateGroups MakeLearningRateGroups(torch::nn::Module& model, const ModelOptions& options,
                                          const ModelSize& size);

// Sets every group's rate to lr × its multiplier.
void SetLearningRate(torch::optim::Optimizer& optimizer, double lr,
                     const std::vector<double>& multipliers);

}  // namespace florenz::train
