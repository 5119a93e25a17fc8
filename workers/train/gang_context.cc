// GangContext: the trainer's few collectives over the gang, each a no-op for a gang of one.
#include "workers/train/gang_context.h"

#include <unistd.h>

#include <cstring>

#include "core/errors.h"
#include "parallel/device_reads.h"

namespace florenz::train {

GangContext::GangContext(ProcessGroups* groups, torch::Device device)
    : groups_(groups), device_(device) {}

void GangContext::CheckLayout(const std::string& run_id, int tp, int dp, int64_t batch,
                              int64_t micro) const {
  if (tp != tp_size() || dp != dp_size()) {
    throw RunError("run " + run_id + " needs tensor_parallel " + std::to_string(tp) +
                   " × data_parallel " + std::to_string(dp) + " = " + std::to_string(tp * dp) +
                   " ranks; it was given a gang of tensor_parallel " + std::to_string(tp_size()) +
                   " × data_parallel " + std::to_string(dp_size()) +
                   " (run grids with parallel runs under mpirun: florenz run schedules gangs)");
  }
  if (batch % dp != 0) {
    throw RunError("run " + run_id + ": batch_size " + std::to_string(batch) +
                   " is not divisible by data_parallel " + std::to_string(dp));
  }
  if (micro > 0 && (batch / dp) % micro != 0) {
    throw RunError("run " + run_id + ": micro_batch_size " + std::to_string(micro) +
                   " does not divide the " + std::to_string(batch / dp) + " samples per rank");
  }
}

void GangContext::SyncGradients(bool sync) {
  if (buckets_) buckets_->set_sync(sync);
}

void GangContext::AttachGradients(const std::vector<torch::Tensor>& params,
                                  const GradientBucketOptions& options) {
  if (dp_size() > 1) buckets_ = std::make_unique<GradientBuckets>(params, groups_->dp(), options);
}

void GangContext::ZeroGrad(const std::vector<torch::Tensor>& params) {
  if (buckets_) {
    buckets_->ZeroGrad();
    return;
  }
  for (auto p : params) p.mutable_grad().reset();
}

void GangContext::FinishBackward() {
  if (buckets_) buckets_->Finish();
}

torch::Tensor GangContext::MeanLoss(const torch::Tensor& local) const {
  torch::Tensor value = local.detach().to(torch::kFloat64).reshape({1});
  if (dp_size() == 1) return value;
  // The dp communicator's device: CUDA tensors for NCCL, the CPU for MPI.
  const bool on_host = std::string(groups_->dp().backend()) == "mpi";
  if (on_host && !value.device().is_cpu()) value = ReadToHost(value);
  groups_->dp().AllReduce(value, ReduceOp::kAverage);
  return value;
}

bool GangContext::Any(bool stop) const {
  if (size() == 1) return stop;
  torch::Tensor flag = torch::full({1}, stop ? 1 : 0, torch::kInt32);  // host, over MPI
  groups_->gang().AllReduce(flag, ReduceOp::kMax);
  return flag.item<int32_t>() != 0;
}

void GangContext::Barrier() const {
  if (size() > 1) groups_->gang().Barrier();
}

std::string GangContext::CheckpointShard() const {
  if (tp_size() == 1) return "";
  return "-tp" + std::to_string(groups_->tp_rank()) + "of" + std::to_string(tp_size());
}

std::vector<int64_t> GangContext::AllGather(const std::vector<int64_t>& values) const {
  if (size() == 1) return values;
  const torch::Tensor mine = torch::tensor(values, torch::kInt64);  // host, over MPI
  const torch::Tensor all = groups_->gang().AllGather(mine, 0);     // [size · n]
  return std::vector<int64_t>(all.data_ptr<int64_t>(), all.data_ptr<int64_t>() + all.numel());
}

std::vector<std::string> GangContext::HostNames() const {
  constexpr size_t kWords = 8;  // 64 bytes a name, NUL included
  char name[kWords * 8] = {};
  gethostname(name, sizeof(name) - 1);
  std::vector<int64_t> mine(kWords);
  std::memcpy(mine.data(), name, sizeof(name));
  const std::vector<int64_t> all = AllGather(mine);
  std::vector<std::string> names;
  for (size_t r = 0; r < all.size() / kWords; ++r) {
    char text[kWords * 8 + 1] = {};
    std::memcpy(text, all.data() + r * kWords, kWords * 8);
    names.emplace_back(text);
  }
  return names;
}

}  // namespace florenz::train
