// ColumnParallelLinear: Y_i = copy_to_tp_region(X) A_i + b_i, gathered when asked; weights drawn
// in full and sharded by rows of A^T (columns of A), so every tp starts from the same model.
#include "parallel/column_parallel_linear.h"

#include <torch/torch.h>

#include "parallel/mac_counter.h"
#include "parallel/tp_mappings.h"

namespace florenz {

ColumnParallelLinearImpl::ColumnParallelLinearImpl(int64_t in_features, int64_t out_features,
                                                   const ColumnParallelLinearOptions& options)
    : in_features_(in_features), out_features_(out_features), options_(options) {
  RequireCommunicator(options.tp, "ColumnParallelLinear");
  const int64_t local_out = ShardSize(out_features, options.tp, "ColumnParallelLinear output");
  weight = register_parameter("weight", NormalShard(out_features, in_features, options.init_std,
                                                    options.seed, 0, options.tp));
  if (options.bias) bias = register_parameter("bias", torch::zeros({local_out}));
}

torch::Tensor ColumnParallelLinearImpl::forward(const torch::Tensor& input) {
  const torch::Tensor x = CopyToTpRegion(input, options_.tp);  // all-reduces dX backward
  MacCounter::Add(static_cast<double>(x.numel() / in_features_) * in_features_ * weight.size(0));
  torch::Tensor output = bias.defined()
                             ? torch::addmm(bias, x.reshape({-1, in_features_}), weight.t())
                             : torch::mm(x.reshape({-1, in_features_}), weight.t());
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = weight.size(0);
  output = output.view(shape);  // Y_i [*, out/p]
  return options_.gather_output ? GatherFromTpRegion(output, options_.tp) : output;
}

}  // namespace florenz
