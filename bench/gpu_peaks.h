// The datasheet peaks that MFU divides by: NVIDIA's dense (not 2:4-sparse) tensor-core
// TFLOP/s per precision for the GPUs florenz is likely to meet, found by the CUDA device name.
// MFU is the model's FLOP/s over this figure; a measured matmul peak ("achievable") is a
// different, smaller denominator and is reported beside it, never in its place.
#pragma once

#include <cctype>
#include <optional>
#include <set>
#include <string>

#include "experiments/spec_enums.h"

namespace florenz::bench {

// One datasheet row. TFLOP/s of dense arithmetic; 0 where the GPU has no such tensor-core mode
// (a V100 has no TF32 or bf16 tensor cores: its bf16 runs at a fraction of fp16's).
struct GpuPeak {
  std::string model;  // the datasheet's name for the part, e.g. "H100 SXM"
  double fp32 = 0;    // non-tensor float32
  double tf32 = 0;    // TF32 tensor cores, dense (the datasheets print the sparse figure, 2x)
  double bf16 = 0;    // bf16 tensor cores, dense

  // The peak of `precision`: fp32 runs on the float32 units, tf32 and bf16 on tensor cores.
  double Tflops(Precision precision) const {
    switch (precision) {
      case Precision::kTf32:
        return tf32;
      case Precision::kBf16:
        return bf16;
      case Precision::kFp32:
        break;
    }
    return fp32;
  }
};

// The datasheet row for a CUDA device name as cudaGetDeviceProperties or nvidia-smi gives it
// ("NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-40GB", "Tesla V100-PCIE-16GB"), or nullopt with
// `why` set when the name is not in the table (or, for an H100, does not say which form).
inline std::optional<GpuPeak> FindGpuPeak(const std::string& name, std::string* why) {
  // Upper-cased words of the name: "NVIDIA A100-SXM4-40GB" -> {NVIDIA, A100, SXM4, 40GB}.
  std::set<std::string> words;
  std::string word;
  for (const char c : name + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      words.insert(word);
      word.clear();
    }
  }
  auto has = [&](const char* w) { return words.count(w) > 0; };
  const bool pcie = has("PCIE"), nvl = has("NVL");
  const bool sxm = has("SXM") || has("SXM2") || has("SXM3") || has("SXM4") || has("SXM5") ||
                   has("HBM3") || has("HBM3E");
  // NVIDIA datasheets (H100: SXM, PCIe and NVL columns; H200; A100 40/80 GB, whose SXM and PCIe
  // columns print the same peaks; L40S; L40; L4; A10; A30; A40; V100 SXM2, PCIe, V100S).
  if (has("GH200")) return GpuPeak{"GH200 (H100 SXM compute)", 67, 494.7, 989.4};
  if (has("H200")) {
    return nvl ? GpuPeak{"H200 NVL", 60, 417.5, 835.5} : GpuPeak{"H200 SXM", 67, 494.7, 989.4};
  }
  if (has("H100")) {
    if (nvl) return GpuPeak{"H100 NVL", 60, 417.5, 835.5};
    if (pcie) return GpuPeak{"H100 PCIe", 51, 378, 756};
    if (sxm) return GpuPeak{"H100 SXM", 67, 494.7, 989.4};
    if (why != nullptr) *why = "an H100 whose name says neither SXM/HBM3, PCIe nor NVL";
    return std::nullopt;
  }
  if (has("A100")) return GpuPeak{pcie ? "A100 PCIe" : "A100 SXM", 19.5, 156, 312};
  if (has("L40S")) return GpuPeak{"L40S", 91.6, 183, 362};
  if (has("L40")) return GpuPeak{"L40", 90.5, 90.5, 181};
  if (has("L4")) return GpuPeak{"L4", 30.3, 60, 121};
  if (has("A10")) return GpuPeak{"A10", 31.2, 62.5, 125};
  if (has("A30")) return GpuPeak{"A30", 10.3, 82, 165};
  if (has("A40")) return GpuPeak{"A40", 37.4, 74.8, 149.7};
  if (has("V100S")) return GpuPeak{"V100S PCIe", 16.4, 0, 0};
  if (has("V100")) return GpuPeak{pcie ? "V100 PCIe" : "V100 SXM2", pcie ? 14 : 15.7, 0, 0};
  if (why != nullptr) {
    *why = name.empty() ? "the GPU's name is unknown (a build without the CUDA runtime)"
                        : "'" + name + "' is not in bench/gpu_peaks.h's datasheet table";
  }
  return std::nullopt;
}

}  // namespace florenz::bench
