// GradientBuckets: per-parameter hooks fill flat buckets; full buckets' all-reduces start in
// bucket order (the same order on every rank, as NCCL requires), and with MPI the ones in
// flight are polled from later hooks so MPI makes progress during backward.
#include "parallel/gradient_buckets.h"

#include <utility>

#include "core/errors.h"

namespace florenz {

GradientBuckets::GradientBuckets(std::vector<torch::Tensor> params, Communicator& dp,
                                 const GradientBucketOptions& options)
    : params_(std::move(params)), dp_(dp), options_(options) {
  slots_.resize(params_.size());
  int64_t bytes = 0, numel = 0;
  std::vector<size_t> members;
  auto close = [&] {
    if (members.empty()) return;
    Bucket bucket;
    bucket.flat = torch::zeros({numel}, params_[members.front()].options());  // their device
    bucket.members = std::move(members);
    buckets_.push_back(std::move(bucket));
    members.clear();
    bytes = numel = 0;
  };
  // Reverse registration order: the last layers' gradients are ready first.
  for (size_t k = params_.size(); k-- > 0;) {
    const torch::Tensor& p = params_[k];
    if (p.scalar_type() != torch::kFloat32) {
      throw RunError("data-parallel buckets hold float32 gradients; a parameter is " +
                     std::string(c10::toString(p.scalar_type())));
    }
    slots_[k] = Slot{buckets_.size(), numel, false};
    members.push_back(k);
    numel += p.numel();
    bytes += p.numel() * static_cast<int64_t>(sizeof(float));
    if (bytes >= options_.bucket_bytes) close();
  }
  close();
  for (size_t k = 0; k < params_.size(); ++k) {
    hooks_.push_back(
        params_[k].register_hook([this, k](const torch::Tensor& grad) { OnGradient(k, grad); }));
  }
}

GradientBuckets::~GradientBuckets() {
  for (size_t k = 0; k < params_.size(); ++k) params_[k].remove_hook(hooks_[k]);
  // Works still in flight are waited for by their destructors.
}

void GradientBuckets::set_sync(bool sync) { sync_ = sync; }

void GradientBuckets::ZeroGrad() {
  for (auto& p : params_) p.mutable_grad().reset();
  for (auto& slot : slots_) slot.ready = false;
  for (auto& bucket : buckets_) {
    bucket.ready = 0;
    bucket.work.reset();
  }
  next_start_ = 0;
  next_poll_ = 0;
}

void GradientBuckets::OnGradient(size_t param, const torch::Tensor& grad) {
  // An earlier micro-batch of the step: autograd accumulates into .grad as usual.
  if (!sync_) return;
  Slot& slot = slots_[param];
  Bucket& bucket = buckets_[slot.bucket];
  if (slot.ready || bucket.work) {
    throw RunError(
        "a parameter's gradient arrived twice in one backward (call ZeroGrad() "
        "before each backward)");
  }
  torch::Tensor into = bucket.flat.narrow(0, slot.offset, grad.numel());
  // The hook sees this backward's gradient before autograd adds it to .grad, which holds the
  // sum over the step's earlier micro-batches (none without accumulation).
  const torch::Tensor& earlier = params_[param].grad();
  if (earlier.defined()) {
    torch::add_out(into, earlier.reshape({-1}), grad.reshape({-1}));
  } else {
    into.copy_(grad.reshape({-1}));
  }
  slot.ready = true;
  ++bucket.ready;
  if (!options_.overlap) return;
  // Open MPI progresses the all-reduces in flight only inside MPI calls: test the oldest ones
  // until one is still running (NCCL needs nothing: its kernels progress alone).
  if (dp_.NeedsHostProgress()) {
    while (next_poll_ < next_start_ && buckets_[next_poll_].work->Test()) ++next_poll_;
  }
  // Full buckets start in index order, so every rank queues the same collectives in the same
  // order whatever order backward fills them in.
  while (next_start_ < buckets_.size() &&
         buckets_[next_start_].ready == static_cast<int>(buckets_[next_start_].members.size())) {
    Start(buckets_[next_start_++]);
  }
}

void GradientBuckets::Start(Bucket& bucket) {
  bucket.work = dp_.AllReduceAsync(bucket.flat, ReduceOp::kAverage);
  ++allreduces_;
}

void GradientBuckets::Finish() {
  for (; next_start_ < buckets_.size(); ++next_start_) {
    Bucket& bucket = buckets_[next_start_];
    for (size_t k : bucket.members) {
      if (slots_[k].ready) continue;
      // Not reached by the last backward: the earlier micro-batches' sum, or zero.
      torch::Tensor into = bucket.flat.narrow(0, slots_[k].offset, params_[k].numel());
      const torch::Tensor& earlier = params_[k].grad();
      if (earlier.defined()) {
        into.copy_(earlier.reshape({-1}));
      } else {
        into.zero_();
      }
    }
    Start(bucket);
  }
  // Wait(): with NCCL the stream of the optimizer step waits for each bucket (no host wait);
  // with MPI the host waits.
  for (auto& bucket : buckets_) {
    bucket.work->Wait();
    for (size_t k : bucket.members) {
      torch::Tensor& p = params_[k];
      p.mutable_grad() = bucket.flat.narrow(0, slots_[k].offset, p.numel()).view(p.sizes());
    }
  }
}

void AllReduceEachGradient(const std::vector<torch::Tensor>& params, Communicator& dp) {
  for (const auto& p : params) {
    if (!p.grad().defined()) continue;
    torch::Tensor grad = p.grad();
    dp.AllReduce(grad, ReduceOp::kAverage);
  }
}

}  // namespace florenz
