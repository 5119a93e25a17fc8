// The device a training rank runs on: how many GPUs this process sees and which physical GPUs
// they are, making one the current device, and what a run file records about its device
// (/config: device, GPU name, LibTorch, CUDA and NCCL versions), so that results can say where
// they were computed.
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

namespace florenz::train {

// CUDA devices LibTorch sees in this process (after CUDA_VISIBLE_DEVICES); 0 with a CPU-only
// LibTorch or no GPU.
int VisibleGpus();

// One entry per CUDA device LibTorch sees, by index: the GPU's UUID as nvidia-smi -L prints it
// ("GPU-5e3c1f2a-…"), or its PCI bus id ("0000:1b:00.0") where the UUID reads as zero. The
// same physical GPU gives the same identity in every process of its node, whatever index
// CUDA_VISIBLE_DEVICES gives it there (orchestrator/device_plan.h). Entries are "" where
// florenz has no CUDA runtime of its own to ask (built without NCCL); empty on the CPU.
std::vector<std::string> VisibleGpuIds();

// The PCI address of CUDA device `index` as CUDA prints it ("0000:1B:00.0"), for finding the
// cores near it (orchestrator/core_binding.h); "" on the CPU, without florenz's CUDA runtime
// (built without NCCL), or where CUDA cannot say.
std::string GpuPciBusId(int index);

struct DeviceDescription {
  std::string device;         // "cpu", "cuda:0"
  std::string gpu_name;       // "NVIDIA H200"; "" on the CPU
  std::string torch_version;  // LibTorch's, e.g. "2.11.0"
  // The CUDA runtime florenz itself links (the toolkit it was built with, via NCCL), e.g.
  // "13.0"; "" on the CPU or without NCCL.
  std::string cuda_version;
  // The CUDA runtime LibTorch was built with, e.g. "12.8"; it may differ from cuda_version.
  // "" on the CPU.
  std::string torch_cuda_version;
  std::string nccl_version;  // e.g. "2.27.3"; "" on the CPU
};

DeviceDescription DescribeDevice(const torch::Device& device);

// Makes `device` the calling thread's current CUDA device through LibTorch (a no-op on the
// CPU, with or without NCCL), so that what the thread does without naming a device — pinning
// host memory, CUDA's context — happens on the rank's GPU, not on GPU 0 (the training thread
// and each input-pipeline thread call it).
void UseDeviceInThisThread(const torch::Device& device);

}  // namespace florenz::train
