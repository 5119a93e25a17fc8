// The device queries of workers/train/device.h: on the CPU none of them touches CUDA (no GPU
// identities, no CUDA versions, setting the CPU as the device is a no-op, with or without
// NCCL); on a GPU (those cases skip, saying why, without one) every visible GPU has an
// identity of its own, /config's LibTorch CUDA version is filled, and a thread that sets a
// device through LibTorch runs on it.
#include "workers/train/device.h"

#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <set>
#include <thread>

namespace florenz::train {
namespace {

TEST(DeviceTest, TheCpuIsDescribedWithoutCuda) {
  const DeviceDescription d = DescribeDevice(torch::Device(torch::kCPU));
  EXPECT_EQ(d.device, "cpu");
  EXPECT_EQ(d.torch_version, TORCH_VERSION);
  EXPECT_EQ(d.gpu_name, "");
  EXPECT_EQ(d.cuda_version, "");
  EXPECT_EQ(d.torch_cuda_version, "");
  EXPECT_EQ(d.nccl_version, "");
  UseDeviceInThisThread(torch::Device(torch::kCPU));  // a no-op, even on a CPU-only LibTorch
}

TEST(DeviceTest, EveryVisibleGpuHasAnIdentityEntry) {
  const std::vector<std::string> ids = VisibleGpuIds();
  ASSERT_EQ(static_cast<int>(ids.size()), VisibleGpus());
#ifdef FLORENZ_HAVE_NCCL
  // Distinct physical GPUs: distinct identities.
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  for (const auto& id : ids) EXPECT_FALSE(id.empty());
#endif
}

class GpuDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (VisibleGpus() == 0) {
      GTEST_SKIP() << "no GPU: LibTorch " << TORCH_VERSION << " sees 0 CUDA devices"
                   << (torch::cuda::is_available() ? "" : " (a CPU-only build, or no driver)");
    }
  }
};

TEST_F(GpuDeviceTest, AGpuIsDescribedWithLibTorchsCudaVersion) {
  const DeviceDescription d = DescribeDevice(torch::Device(torch::kCUDA, 0));
  EXPECT_EQ(d.device, "cuda:0");
  EXPECT_NE(d.torch_cuda_version, "");
}

TEST_F(GpuDeviceTest, AThreadRunsOnTheDeviceItSets) {
  const int last = VisibleGpus() - 1;
  int current = -1;
  std::thread thread([&] {
    UseDeviceInThisThread(torch::Device(torch::kCUDA, last));
    current = c10::impl::getDeviceGuardImpl(torch::kCUDA)->getDevice().index();
  });
  thread.join();
  EXPECT_EQ(current, last);
}

}  // namespace
}  // namespace florenz::train
