// RowParallelLinear: Y = reduce_from_tp_region(X_i A_i) + b; weights drawn in full and sharded
// by columns of A^T (rows of A), so every tp starts from the same model.
#include "parallel/row_parallel_linear.h"

#include <torch/torch.h>

#include "parallel/mac_counter.h"
#include "parallel/tp_mappings.h"

namespace florenz {

RowParallelLinearImpl::RowParallelLinearImpl(int64_t in_features, int64_t out_features,
                                             const RowParallelLinearOptions& options)
    : in_features_(in_features), out_features_(out_features), options_(options) {
  RequireCommunicator(options.tp, "RowParallelLinear");
  ShardSize(in_features, options.tp, "RowParallelLinear input");
  weight = register_parameter("weight", NormalShard(out_features, in_features, options.init_std,
                                                    options.seed, 1, options.tp));
  if (options.bias) bias = register_parameter("bias", torch::zeros({out_features}));
}

torch::Tensor RowParallelLinearImpl::forward(const torch::Tensor& input) {
  const torch::Tensor x =
      options_.input_is_parallel ? input : ScatterToTpRegion(input, options_.tp);  // X_i
  const int64_t local_in = weight.size(1);
  MacCounter::Add(static_cast<double>(x.numel() / local_in) * local_in * out_features_);
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = out_features_;
  if (options_.tp.size == 1) {
    // No reduction: the bias is fused into the product.
    torch::Tensor output = bias.defined()
                               ? torch::addmm(bias, x.reshape({-1, local_in}), weight.t())
                               : torch::mm(x.reshape({-1, local_in}), weight.t());
    return output.view(shape);
  }
  // The bias is replicated and added once, after the partial products are summed.
  torch::Tensor partial = torch::mm(x.reshape({-1, local_in}), weight.t()).view(shape);
  torch::Tensor output = ReduceFromTpRegion(partial, options_.tp);
  return bias.defined() ? output + bias : output;
}

}  // namespace florenz
