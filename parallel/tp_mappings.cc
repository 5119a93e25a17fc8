// The tensor-parallel mappings as torch::autograd::Function's. The communicator travels to
// backward as an address in the context (it outlives the graph: ProcessGroups owns it for the
// whole run).
#include "parallel/tp_mappings.h"

#include <torch/torch.h>

#include <cstdint>

#include "parallel/communicator.h"

namespace florenz {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

Communicator& Comm(AutogradContext* ctx) {
  return *reinterpret_cast<Communicator*>(ctx->saved_data["comm"].toInt());
}

void SaveComm(AutogradContext* ctx, Communicator* comm) {
  ctx->saved_data["comm"] = static_cast<int64_t>(reinterpret_cast<intptr_t>(comm));
}

torch::Tensor AllReduced(const torch::Tensor& x, Communicator& comm) {
  torch::Tensor out = x.clone(at::MemoryFormat::Contiguous);
  comm.AllReduce(out, ReduceOp::kSum);
  return out;
}

torch::Tensor LocalSlice(const torch::Tensor& x, Communicator& comm) {
  const int64_t width = x.size(-1) / comm.size();
  return x.narrow(-1, comm.rank() * width, width).contiguous();
}

struct CopyToFn : torch::autograd::Function<CopyToFn> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, Communicator* comm) {
    SaveComm(ctx, comm);
    return x.view_as(x);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    return {AllReduced(grad[0], Comm(ctx)), torch::Tensor()};
  }
};

struct ReduceFromFn : torch::autograd::Function<ReduceFromFn> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, Communicator* comm) {
    SaveComm(ctx, comm);
    return AllReduced(x, *comm);
  }
  static variable_list backward(AutogradContext*, variable_list grad) {
    return {grad[0], torch::Tensor()};
  }
};

struct GatherFromFn : torch::autograd::Function<GatherFromFn> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, Communicator* comm) {
    SaveComm(ctx, comm);
    return comm->AllGather(x, -1);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    return {LocalSlice(grad[0], Comm(ctx)), torch::Tensor()};
  }
};

struct ScatterToFn : torch::autograd::Function<ScatterToFn> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, Communicator* comm) {
    SaveComm(ctx, comm);
    return LocalSlice(x, *comm);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    return {Comm(ctx).AllGather(grad[0].contiguous(), -1), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor CopyToTpRegion(const torch::Tensor& x, const TensorParallel& tp) {
  return tp.size == 1 ? x : CopyToFn::apply(x, RequireCommunicator(tp, "copy_to_tp_region"));
}

torch::Tensor ReduceFromTpRegion(const torch::Tensor& x, const TensorParallel& tp) {
  return tp.size == 1 ? x
                      : ReduceFromFn::apply(x, RequireCommunicator(tp, "reduce_from_tp_region"));
}

torch::Tensor GatherFromTpRegion(const torch::Tensor& x, const TensorParallel& tp) {
  return tp.size == 1 ? x
                      : GatherFromFn::apply(x, RequireCommunicator(tp, "gather_from_tp_region"));
}

torch::Tensor ScatterToTpRegion(const torch::Tensor& x, const TensorParallel& tp) {
  if (tp.size == 1) return x;
  Communicator* comm = RequireCommunicator(tp, "scatter_to_tp_region");
  ShardSize(x.size(-1), tp, "scatter_to_tp_region input width");
  return ScatterToFn::apply(x, comm);
}

}  // namespace florenz
