// AutocastScope and MatmulPrecisionScope (see precision.h). LibTorch 2.4 replaced the
// per-device autocast switches of 1.x (set_enabled for CUDA, set_cpu_enabled for the CPU) with
// ones that take the device type; both spellings are wrapped here once.
#include "workers/train/precision.h"

#include <ATen/Context.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#define FLORENZ_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||          \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace florenz::train {
namespace {

#if FLORENZ_TORCH_AT_LEAST(2, 4)
bool Enabled(torch::DeviceType type) { return at::autocast::is_autocast_enabled(type); }
void Enable(torch::DeviceType type, bool on) { at::autocast::set_autocast_enabled(type, on); }
at::ScalarType Dtype(torch::DeviceType type) { return at::autocast::get_autocast_dtype(type); }
void SetDtype(torch::DeviceType type, at::ScalarType dtype) {
  at::autocast::set_autocast_dtype(type, dtype);
}
#else
bool Enabled(torch::DeviceType type) {
  return type == torch::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
void Enable(torch::DeviceType type, bool on) {
  if (type == torch::kCUDA) {
    at::autocast::set_enabled(on);
  } else {
    at::autocast::set_cpu_enabled(on);
  }
}
at::ScalarType Dtype(torch::DeviceType type) {
  return type == torch::kCUDA ? at::autocast::get_autocast_gpu_dtype()
                              : at::autocast::get_autocast_cpu_dtype();
}
void SetDtype(torch::DeviceType type, at::ScalarType dtype) {
  if (type == torch::kCUDA) {
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
}
#endif

}  // namespace

AutocastScope::AutocastScope(Precision precision, const torch::Device& device)
    : active_(precision == Precision::kBf16), type_(device.type()) {
  if (!active_) return;
  was_enabled_ = Enabled(type_);
  was_dtype_ = Dtype(type_);
  SetDtype(type_, at::kBFloat16);
  Enable(type_, true);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // The outermost scope drops the bf16 copies of the weights cast in this forward pass.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  Enable(type_, was_enabled_);
  SetDtype(type_, was_dtype_);
}

MatmulPrecisionScope::MatmulPrecisionScope(Precision precision, const torch::Device& device)
    : active_(precision == Precision::kTf32 && device.is_cuda()) {
  if (!active_) return;
  at::Context& context = at::globalContext();
  was_cublas_ = context.allowTF32CuBLAS();
  was_cudnn_ = context.allowTF32CuDNN();
  context.setAllowTF32CuBLAS(true);
  context.setAllowTF32CuDNN(true);
}

MatmulPrecisionScope::~MatmulPrecisionScope() {
  if (!active_) return;
  at::Context& context = at::globalContext();
  context.setAllowTF32CuBLAS(was_cublas_);
  context.setAllowTF32CuDNN(was_cudnn_);
}

}  // namespace florenz::train
