// GangContext: what the trainer needs to know of the gang of tp × dp ranks training one run —
// this rank's tensor-parallel coordinate, its data shard, the dp-averaged loss, bucketed
// gradient averaging, agreement on stopping and on checkpoints, and which rank writes. With no
// ProcessGroups (the serial embedded mode) it is a gang of one and calls no collective.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "parallel/gradient_buckets.h"
#include "parallel/process_groups.h"
#include "parallel/tensor_parallel.h"

namespace florenz::train {

class GangContext {
 public:
  // `groups` may be null (one process); it must outlive this object. `device` is where the
  // run's tensors live (the dp communicator's loss average runs there); the gang's control
  // collectives (Any, Barrier, AllGather) run over MPI on the host.
  explicit GangContext(ProcessGroups* groups, torch::Device device = torch::kCPU);

  int size() const { return groups_ ? groups_->dims().size() : 1; }
  int tp_size() const { return groups_ ? groups_->dims().tp : 1; }
  int dp_size() const { return groups_ ? groups_->dims().dp : 1; }
  int dp_rank() const { return groups_ ? groups_->dp_rank() : 0; }
  // Gang rank 0 writes the run file and reports progress.
  bool leader() const { return !groups_ || groups_->rank() == 0; }
  TensorParallel tensor_parallel() const {
    return groups_ ? groups_->tensor_parallel() : TensorParallel{};
  }

  // Throws RunError unless the run's tensor_parallel × data_parallel is this gang's layout and
  // the batch splits evenly over dp and then into micro-batches of `micro` (0: one per rank).
  void CheckLayout(const std::string& run_id, int tp, int dp, int64_t batch,
                   int64_t micro = 0) const;
  // This rank's share of a global batch: samples [offset, offset + count) of it.
  int64_t ShardOffset(int64_t batch) const { return dp_rank() * (batch / dp_size()); }
  int64_t ShardCount(int64_t batch) const { return batch / dp_size(); }

  // Hooks `params` into data-parallel gradient buckets (dp > 1 only).
  void AttachGradients(const std::vector<torch::Tensor>& params,
                       const GradientBucketOptions& options = {});
  // Before backward: gradients reset to none.
  void ZeroGrad(const std::vector<torch::Tensor>& params);
  // Gradient accumulation: false before the backward of a step's earlier micro-batches (no
  // communication), true before the last one's (GradientBuckets::set_sync).
  void SyncGradients(bool sync);
  // After backward: gradients averaged over dp.
  void FinishBackward();
  // Data-parallel all-reduces of gradient buckets started so far (0 at dp = 1).
  int64_t GradientAllReduces() const { return buckets_ ? buckets_->allreduces() : 0; }
  int GradientBucketCount() const { return buckets_ ? buckets_->buckets() : 0; }
  // This rank's mean loss (a tensor on the run's device) → the mean over the global batch
  // (average over dp; shards are equal), as a float64 [1] tensor on the same device. No host
  // read: the caller reads it when it logs (device_reads.h). Collective over dp: every rank
  // calls it at the same steps.
  torch::Tensor MeanLoss(const torch::Tensor& local) const;
  // The data-parallel communicator (null at dp = 1): evaluation shards its samples over it.
  Communicator* dp_communicator() const { return dp_size() > 1 ? &groups_->dp() : nullptr; }
  // True on every rank when `stop` is true on any rank of the gang (so all stop at one step).
  // Host-side, over MPI.
  bool Any(bool stop) const;
  void Barrier() const;

  // The checkpoint file's suffix for this rank's model shard: "" at tp = 1, "-tp<r>of<p>".
  std::string CheckpointShard() const;
  // Dp rank 0 of each tp rank saves its shard.
  bool SavesCheckpoint() const { return dp_rank() == 0; }
  // Every rank's `values` (the same count on each), rank after rank: values of rank r at
  // [r · n, (r + 1) · n). Just `values` for a gang of one.
  std::vector<int64_t> AllGather(const std::vector<int64_t>& values) const;
  // Every rank's host name (at most 63 bytes kept), in gang order: where each rank of the gang
  // ran, for the run file's /config/hosts.
  std::vector<std::string> HostNames() const;

 private:
  ProcessGroups* groups_;
  torch::Device device_;
  std::unique_ptr<GradientBuckets> buckets_;
};

}  // namespace florenz::train
