// Which device each rank of a job trains on (DESIGN.md, "Devices"): every training rank owns
// one device; on a GPU node a rank takes the GPU given by its index among the training ranks
// of its node that see the same GPUs (CUDA_VISIBLE_DEVICES, which Slurm sets per task with
// --gpus-per-task / --gpu-bind), and the coordinator owns none. Pure logic over what the
// ranks report, so it is tested with made-up nodes, GPU counts and CUDA_VISIBLE_DEVICES.
#pragma once

#include <string>
#include <vector>

#include "experiments/spec_enums.h"

namespace florenz {

// What one rank reports about itself before any run starts.
struct RankDevices {
  int rank = 0;                 // world rank
  int node = 0;                 // the node's id (ranks of one node share it)
  std::string node_name;        // its host name, for messages
  bool trains = true;           // false for the coordinator of a multi-rank job
  int visible_gpus = 0;         // CUDA devices LibTorch sees in this process
  std::string visible_devices;  // CUDA_VISIBLE_DEVICES as set; "" when unset
  bool visible_devices_set = false;
};

struct DevicePlan {
  // Per entry of the ranks given to PlanDevices, in the same order: "cpu", "cuda:<index>", or
  // "" for a rank that trains nothing (the coordinator).
  std::vector<std::string> devices;
  bool cuda = false;  // the training ranks use GPUs
  // Why the job cannot start (an exit-2 error before any run starts), or "".
  std::string error;

  bool ok() const { return error.empty(); }
};

// `kind` is execution.device (or --device). auto: GPUs when every training rank sees one, the
// CPU when none does, an error when only some do. cuda: an error where a training rank sees no
// GPU. Ranks of one node with the same CUDA_VISIBLE_DEVICES share its GPUs: the i-th of them
// (by world rank) takes GPU i, and more of them than GPUs is an error naming both counts.
DevicePlan PlanDevices(DeviceKind kind, const std::vector<RankDevices>& ranks);

}  // namespace florenz
