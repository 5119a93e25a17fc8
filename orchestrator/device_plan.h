// Which device each rank of a job trains on (DESIGN.md, "Devices"): every training rank owns
// one physical GPU, told apart by the identity (UUID or PCI bus id) each rank reports for the
// GPUs it sees, so both Slurm's launches work: every task seeing all of the node's GPUs, and
// per-task device cgroups where every task sees a different GPU as its device 0. The
// coordinator owns none. Pure logic over what the ranks report, tested with made-up nodes and
// UUIDs.
#pragma once

#include <string>
#include <vector>

#include "experiments/spec_enums.h"

namespace florenz {

// What one rank reports about itself before any run starts.
struct RankDevices {
  int rank = 0;           // world rank
  int node = 0;           // the node's id (ranks of one node share it)
  std::string node_name;  // its host name, for messages
  bool trains = true;     // false for the coordinator of a multi-rank job
  int visible_gpus = 0;   // CUDA devices LibTorch sees in this process
  // The identity of each of those GPUs, by CUDA index: its UUID ("GPU-5e3c…", as nvidia-smi -L
  // prints it) or PCI bus id. Two ranks of a node that report the same identity see the same
  // physical GPU, whatever index each sees it at. Shorter than visible_gpus, or "" at an index,
  // where it could not be asked (a CUDA LibTorch built without florenz's CUDA runtime): such
  // GPUs are told apart by CUDA_VISIBLE_DEVICES alone — ranks with the same value share them.
  std::vector<std::string> gpu_ids;
  std::string visible_devices;  // CUDA_VISIBLE_DEVICES as set, any length; "" when unset
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
// GPU. On each node the training ranks, in world-rank order, each take the first GPU they see
// that no lower rank of the node took: ranks that see the same GPUs take indices 0, 1, 2, …;
// ranks that each see one GPU of their own take their index 0. Only where a rank finds every
// GPU it sees taken do lower ranks move to other GPUs they see. Where no choice gives every
// training rank a GPU of its own (more ranks than the GPUs they see), the plan is an error
// naming both counts, and no rank gets a device.
DevicePlan PlanDevices(DeviceKind kind, const std::vector<RankDevices>& ranks);

}  // namespace florenz
