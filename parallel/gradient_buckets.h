// GradientBuckets: data-parallel gradient averaging in buckets (PyTorch DDP's design). The
// parameters are grouped, in reverse order of registration (roughly the order backward
// produces their gradients), into flat buckets of about `bucket_bytes`; a hook on each
// parameter copies its gradient into its bucket as soon as backward produces it, and a full
// bucket's all-reduce starts at once (non-blocking), overlapping the rest of backward.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "parallel/communicator.h"

namespace florenz {

struct GradientBucketOptions {
  // Target size of one bucket in bytes (a bucket closes at the first parameter that reaches
  // it; a parameter larger than this gets a bucket of its own). Default 25 MB, as DDP's.
  int64_t bucket_bytes = 25 * 1000 * 1000;
  // Start each bucket's all-reduce during backward as soon as it is full; false starts them
  // all in Finish() (for measuring what the overlap buys).
  bool overlap = true;
};

class GradientBuckets {
 public:
  // `params` are this rank's trainable parameters; `dp` the data-parallel communicator (not
  // owned; it must outlive this object). Registers one hook per parameter.
  GradientBuckets(std::vector<torch::Tensor> params, Communicator& dp,
                  const GradientBucketOptions& options = {});
  ~GradientBuckets();
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  // Before backward: every parameter's gradient is reset to none (so backward stores fresh
  // gradients and nothing accumulates into a bucket under a running all-reduce).
  void ZeroGrad();
  // After backward: starts the buckets not yet started (a parameter backward did not reach
  // counts as a zero gradient), waits for all of them (Work::Wait: the host with MPI, only the
  // stream with NCCL), and points each parameter's .grad() at its averaged slice of its bucket.
  void Finish();

  // Gradient accumulation: false while backward runs over a step's earlier micro-batches
  // (gradients accumulate in .grad, nothing is communicated); true (the default) for the last
  // one, whose hooks fill the buckets with the accumulated sums and start their all-reduces.
  // So a step costs one all-reduce per bucket however many micro-batches it has.
  void set_sync(bool sync);

  int buckets() const { return static_cast<int>(buckets_.size()); }
  // All-reduces started since construction (one per bucket and step).
  int64_t allreduces() const { return allreduces_; }

 private:
  struct Bucket {
    torch::Tensor flat;           // [Σ numel] float32 on the parameters' device, end to end
    std::vector<size_t> members;  // indices into params_
    int ready = 0;                // gradients copied in this backward
    std::unique_ptr<Work> work;   // the all-reduce in flight
  };
  struct Slot {
    size_t bucket = 0;
    int64_t offset = 0;
    bool ready = false;
  };

  void OnGradient(size_t param, const torch::Tensor& grad);
  void Start(Bucket& bucket);

  std::vector<torch::Tensor> params_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  std::vector<unsigned> hooks_;
  Communicator& dp_;
  GradientBucketOptions options_;
  bool sync_ = true;
  size_t next_start_ = 0;  // buckets [0, next_start_) have started this backward
  size_t next_poll_ = 0;   // buckets [0, next_poll_) have completed (MPI progress polling)
  int64_t allreduces_ = 0;
};

// The baseline GradientBuckets is measured against (bench/dp_step): after backward, one
// blocking all-reduce (average) per parameter gradient.
void AllReduceEachGradient(const std::vector<torch::Tensor>& params, Communicator& dp);

}  // namespace florenz
