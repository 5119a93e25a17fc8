// Device queries (see device.h). The GPU name and the CUDA and NCCL versions come from the CUDA
// runtime and NCCL that parallel/ links (FLORENZ_HAVE_NCCL); they are asked only for a CUDA
// device, so a CPU run never touches a GPU.
#include "workers/train/device.h"

#include <torch/cuda.h>
#include <torch/version.h>

#ifdef FLORENZ_HAVE_NCCL
#include <cuda_runtime_api.h>
#include <nccl.h>
#endif

namespace florenz::train {

int VisibleGpus() { return static_cast<int>(torch::cuda::device_count()); }

DeviceDescription DescribeDevice(const torch::Device& device) {
  DeviceDescription d;
  d.device = device.str();
  d.torch_version = TORCH_VERSION;
  if (!device.is_cuda()) return d;
#ifdef FLORENZ_HAVE_NCCL
  cudaDeviceProp properties{};
  if (cudaGetDeviceProperties(&properties, device.has_index() ? device.index() : 0) ==
      cudaSuccess) {
    d.gpu_name = properties.name;
  }
  int runtime = 0;
  if (cudaRuntimeGetVersion(&runtime) == cudaSuccess) {
    d.cuda_version = std::to_string(runtime / 1000) + "." + std::to_string(runtime % 1000 / 10);
  }
  int nccl = 0;
  if (ncclGetVersion(&nccl) == ncclSuccess) {
    // NCCL ≥ 2.9 encodes major·10000 + minor·100 + patch.
    d.nccl_version = std::to_string(nccl / 10000) + "." + std::to_string(nccl % 10000 / 100) + "." +
                     std::to_string(nccl % 100);
  }
#endif
  return d;
}

void UseDeviceInThisThread(const torch::Device& device) {
#ifdef FLORENZ_HAVE_NCCL
  if (device.is_cuda()) cudaSetDevice(device.has_index() ? device.index() : 0);
#else
  (void)device;
#endif
}

}  // namespace florenz::train
