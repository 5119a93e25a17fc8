// The four conjugate communication operators of tensor parallelism (Megatron,
// core/tensor_parallel/mappings.py), as autograd functions over a TensorParallel group. Each is
// the identity at tp = 1. Legend: X the full activation, X_i rank i's slice along the last
// dimension, p = tp.size.
//
//   copy_to_tp_region       forward  identity              backward all-reduce (sum) of dX
//   reduce_from_tp_region   forward  all-reduce (sum)      backward identity
//   gather_from_tp_region   forward  X = [X_1 … X_p]       backward keep dX_i
//   scatter_to_tp_region    forward  keep X_i              backward dX = [dX_1 … dX_p]
//
// copy_to / reduce_from are conjugate (Y = XA with A split by columns needs the first before
// it, by rows the second after it); so are gather_from / scatter_to.
#pragma once

#include <torch/types.h>

#include "parallel/tensor_parallel.h"

namespace florenz {

torch::Tensor CopyToTpRegion(const torch::Tensor& x, const TensorParallel& tp);
torch::Tensor ReduceFromTpRegion(const torch::Tensor& x, const TensorParallel& tp);
torch::Tensor GatherFromTpRegion(const torch::Tensor& x, const TensorParallel& tp);
torch::Tensor ScatterToTpRegion(const torch::Tensor& x, const TensorParallel& tp);

}  // namespace florenz
