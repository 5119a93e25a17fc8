// RowParallelLinear at tp = 1: Y = XA + b, weights drawn in full and sharded by columns of
// A^T (rows of A), so a tp > 1 model starts from the same values.
#include "parallel/row_parallel_linear.h"

#include <torch/torch.h>

#include "parallel/mac_counter.h"

namespace florenz {

RowParallelLinearImpl::RowParallelLinearImpl(int64_t in_features, int64_t out_features,
                                             const RowParallelLinearOptions& options)
    : in_features_(in_features), out_features_(out_features), options_(options) {
  RequireSingleRank(options.tp, "RowParallelLinear");
  ShardSize(in_features, options.tp, "RowParallelLinear input");
  weight = register_parameter("weight", NormalShard(out_features, in_features, options.init_std,
                                                    options.seed, 1, options.tp));
  if (options.bias) bias = register_parameter("bias", torch::zeros({out_features}));
}

torch::Tensor RowParallelLinearImpl::forward(const torch::Tensor& input) {
  // scatter_to_tp_region(X) (when !input_is_parallel) is the identity at tp = 1.
  const int64_t local_in = weight.size(1);
  MacCounter::Add(static_cast<double>(input.numel() / local_in) * local_in * out_features_);
  // reduce_from_tp_region(X_i A_i) is the identity at tp = 1, so the bias is fused in.
  torch::Tensor output = bias.defined()
                             ? torch::addmm(bias, input.reshape({-1, local_in}), weight.t())
                             : torch::mm(input.reshape({-1, local_in}), weight.t());
  std::vector<int64_t> shape = input.sizes().vec();
  shape.back() = out_features_;
  return output.view(shape);
}

}  // namespace florenz
