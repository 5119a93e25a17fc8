// Device queries (see device.h). The current device and LibTorch's CUDA version come from
// LibTorch, so they work in any CUDA build; the GPU identities, name and the toolkit's CUDA and
// NCCL versions come from the CUDA runtime and NCCL that parallel/ links (FLORENZ_HAVE_NCCL).
// Each is asked only for a CUDA device, so a CPU run never touches a GPU.
#include "workers/train/device.h"

#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <cstdio>

#ifdef FLORENZ_HAVE_NCCL
#include <cuda_runtime_api.h>
#include <nccl.h>
#endif

namespace florenz::train {
namespace {

// CUDA encodes versions as major·1000 + minor·10: 12080 is "12.8".
std::string CudaVersionText(long version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

#ifdef FLORENZ_HAVE_NCCL
// nvidia-smi's form of a GPU's identity: GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, or the PCI
// bus id where the UUID is all zero.
std::string GpuIdentity(const cudaDeviceProp& p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p.uuid.bytes);
  bool zero = true;
  for (int i = 0; i < 16; ++i) zero = zero && b[i] == 0;
  char text[64];
  if (zero) {
    std::snprintf(text, sizeof(text), "%04x:%02x:%02x.0", p.pciDomainID, p.pciBusID, p.pciDeviceID);
  } else {
    std::snprintf(text, sizeof(text),
                  "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                  b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                  b[14], b[15]);
  }
  return text;
}
#endif

}  // namespace

int VisibleGpus() { return static_cast<int>(torch::cuda::device_count()); }

std::vector<std::string> VisibleGpuIds() {
  std::vector<std::string> ids(VisibleGpus());
#ifdef FLORENZ_HAVE_NCCL
  for (size_t i = 0; i < ids.size(); ++i) {
    cudaDeviceProp properties{};
    if (cudaGetDeviceProperties(&properties, static_cast<int>(i)) == cudaSuccess) {
      ids[i] = GpuIdentity(properties);
    }
  }
#endif
  return ids;
}

std::string GpuPciBusId(int index) {
#ifdef FLORENZ_HAVE_NCCL
  if (index < 0 || index >= VisibleGpus()) return "";
  char text[64] = {};
  if (cudaDeviceGetPCIBusId(text, sizeof(text), index) == cudaSuccess) return text;
#else
  (void)index;
#endif
  return "";
}

DeviceDescription DescribeDevice(const torch::Device& device) {
  DeviceDescription d;
  d.device = device.str();
  d.torch_version = TORCH_VERSION;
  if (!device.is_cuda()) return d;
  try {
    d.torch_cuda_version = CudaVersionText(at::detail::getCUDAHooks().versionCUDART());
  } catch (const c10::Error&) {
    // LibTorch without its CUDA library: nothing to record.
  }
#ifdef FLORENZ_HAVE_NCCL
  cudaDeviceProp properties{};
  if (cudaGetDeviceProperties(&properties, device.has_index() ? device.index() : 0) ==
      cudaSuccess) {
    d.gpu_name = properties.name;
  }
  int runtime = 0;
  if (cudaRuntimeGetVersion(&runtime) == cudaSuccess) d.cuda_version = CudaVersionText(runtime);
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
  // Only a CUDA device asks for LibTorch's CUDA guard, which a CPU-only LibTorch lacks.
  if (!device.is_cuda()) return;
  const torch::Device target(torch::kCUDA, device.has_index() ? device.index() : 0);
  c10::impl::getDeviceGuardImpl(torch::kCUDA)->setDevice(target);
}

}  // namespace florenz::train
