// ColumnParallelLinear at tp = 1: Y = XA + b, weights drawn in full and sharded by rows of
// A^T (columns of A), so a tp > 1 model starts from the same values.
#include "parallel/column_parallel_linear.h"

#include <torch/torch.h>

#include "parallel/mac_counter.h"

namespace florenz {

ColumnParallelLinearImpl::ColumnParallelLinearImpl(int64_t in_features, int64_t out_features,
                                                   const ColumnParallelLinearOptions& options)
    : in_features_(in_features), out_features_(out_features), options_(options) {
  RequireSingleRank(options.tp, "ColumnParallelLinear");
  const int64_t local_out = ShardSize(out_features, options.tp, "ColumnParallelLinear output");
  weight = register_parameter("weight", NormalShard(out_features, in_features, options.init_std,
                                                    options.seed, 0, options.tp));
  if (options.bias) bias = register_parameter("bias", torch::zeros({local_out}));
}

torch::Tensor ColumnParallelLinearImpl::forward(const torch::Tensor& input) {
  // copy_to_tp_region(X) is the identity at tp = 1.
  MacCounter::Add(static_cast<double>(input.numel() / in_features_) * in_features_ *
                  weight.size(0));
  torch::Tensor output = bias.defined()
                             ? torch::addmm(bias, input.reshape({-1, in_features_}), weight.t())
                             : torch::mm(input.reshape({-1, in_features_}), weight.t());
  std::vector<int64_t> shape = input.sizes().vec();
  shape.back() = weight.size(0);
  // gather_from_tp_region(Y_i) is the identity at tp = 1.
  return output.view(shape);
}

}  // namespace florenz
