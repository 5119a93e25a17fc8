// Device reads: the one place where florenz copies a tensor's values to the host and waits for
// them. On a GPU every such read stalls the host until the device has caught up, so the
// training step must perform none between two log steps; routing every read through here lets
// a test (and scripts/gpu-check) count them. On the CPU the same functions run, so the CPU test
// of "zero reads between log steps" covers the GPU path's code.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace florenz {

// Called in the host while a device read is pending (a CUDA tensor's copy to the host), with
// the seconds the read has waited so far, until the copy is done: so a gang's failure notices,
// NCCL's errors and collective timeouts are seen while a rank waits for its GPU
// (parallel/gang_watch.h). May throw; the read then throws. Set by the worker for the duration
// of a run, null otherwise.
using DeviceReadPoll = std::function<void(double waited_seconds)>;
void SetDeviceReadPoll(DeviceReadPoll poll);

// `tensor` (any device) as a CPU tensor, contiguous; counts one read. A CPU tensor is returned
// as it is (and still counted: the count is of the code path, the same on every device).
torch::Tensor ReadToHost(const torch::Tensor& tensor);
// The one element of `tensor` as a double / int64; counts one read.
double ReadDouble(const torch::Tensor& tensor);
int64_t ReadInt64(const torch::Tensor& tensor);
// Every element of a 1-d `tensor` as doubles / int64s; counts one read.
std::vector<double> ReadDoubles(const torch::Tensor& tensor);
std::vector<int64_t> ReadInt64s(const torch::Tensor& tensor);

// Reads performed by this process since it started (all threads).
int64_t DeviceReads();

}  // namespace florenz
