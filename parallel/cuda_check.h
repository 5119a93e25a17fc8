// CUDA_CHECK and NCCL_CHECK: every CUDA runtime and NCCL call of the NCCL backend goes through
// one of them once. A failing call throws RunError with the call, file, line and the library's
// own error string.
#pragma once

#include <cuda_runtime_api.h>
#include <nccl.h>

namespace florenz {

void ThrowCudaError(cudaError_t code, const char* call, const char* file, int line);
void ThrowNcclError(ncclResult_t code, const char* call, const char* file, int line);

}  // namespace florenz

#define CUDA_CHECK(call)                                                        \
  do {                                                                          \
    const cudaError_t florenz_cuda_code_ = (call);                              \
    if (florenz_cuda_code_ != cudaSuccess) {                                    \
      ::florenz::ThrowCudaError(florenz_cuda_code_, #call, __FILE__, __LINE__); \
    }                                                                           \
  } while (0)

#define NCCL_CHECK(call)                                                        \
  do {                                                                          \
    const ncclResult_t florenz_nccl_code_ = (call);                             \
    if (florenz_nccl_code_ != ncclSuccess) {                                    \
      ::florenz::ThrowNcclError(florenz_nccl_code_, #call, __FILE__, __LINE__); \
    }                                                                           \
  } while (0)
