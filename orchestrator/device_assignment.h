// Puts each training rank of `florenz run` on its device before any run starts: every rank
// reports its node, the identities (UUIDs) of the GPUs it sees and its CUDA_VISIBLE_DEVICES to
// rank 0, which plans (device_plan.h) and sends each rank its device. The coordinator never
// opens a GPU.
#pragma once

#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

#include "experiments/spec_enums.h"

namespace florenz {

struct DeviceAssignment {
  std::string
      device;         // this rank's: "cpu", "cuda:<index>"; "" on a coordinator that trains nothing
  bool cuda = false;  // the job's training ranks use GPUs
  std::string error;  // the same on every rank: why the job cannot start, or ""
};

// Collective over `comm` (the job's; MPI_COMM_NULL: the embedded mode, this process trains).
// In a job of several ranks rank 0 coordinates and trains nothing. `visible_gpu_ids` lists the
// identity of each GPU this process sees, by CUDA index (train::VisibleGpuIds: UUIDs, "" where
// unknown; tests pass a fake); it is not called where the answer cannot matter (device cpu,
// the coordinator). Reports of any length travel (CUDA_VISIBLE_DEVICES of eight UUIDs too).
DeviceAssignment AssignDevices(MPI_Comm comm, DeviceKind kind,
                               const std::function<std::vector<std::string>()>& visible_gpu_ids);

// The same where only the number of GPUs is known (train::VisibleGpus): every identity is
// unknown, so ranks are told apart by CUDA_VISIBLE_DEVICES alone, which refuses per-task
// cgroups (every task's CUDA_VISIBLE_DEVICES=0).
DeviceAssignment AssignDevices(MPI_Comm comm, DeviceKind kind,
                               const std::function<int()>& visible_gpus);

}  // namespace florenz
