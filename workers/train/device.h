// The device a training rank runs on: how many GPUs this process sees, and what a run file
// records about its device (/config: device, GPU name, LibTorch, CUDA and NCCL versions), so
// that results can say where they were computed.
#pragma once

#include <torch/types.h>

#include <string>

namespace florenz::train {

// CUDA devices LibTorch sees in this process (after CUDA_VISIBLE_DEVICES); 0 with a CPU-only
// LibTorch or no GPU.
int VisibleGpus();

struct DeviceDescription {
  std::string device;         // "cpu", "cuda:0"
  std::string gpu_name;       // "NVIDIA H200"; "" on the CPU
  std::string torch_version;  // LibTorch's, e.g. "2.11.0"
  std::string cuda_version;   // the CUDA runtime florenz runs with, e.g. "13.0"; "" on the CPU
  std::string nccl_version;   // e.g. "2.27.3"; "" on the CPU
};

DeviceDescription DescribeDevice(const torch::Device& device);

// Makes `device` the calling thread's current CUDA device (a no-op on the CPU), so that what
// the thread does without naming a device — pinning host memory, CUDA's context — happens on
// the rank's GPU, not on GPU 0 (the training thread and each input-pipeline thread call it).
void UseDeviceInThisThread(const torch::Device& device);

}  // namespace florenz::train
