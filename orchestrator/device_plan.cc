// Device placement of a job's training ranks (see device_plan.h).
#include "orchestrator/device_plan.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace florenz {
namespace {

std::string VisibleText(const RankDevices& r) {
  return r.visible_devices_set ? "CUDA_VISIBLE_DEVICES=" + r.visible_devices
                               : std::string("CUDA_VISIBLE_DEVICES unset");
}

std::string Where(const RankDevices& r) {
  return "rank " + std::to_string(r.rank) + " on " +
         (r.node_name.empty() ? "node " + std::to_string(r.node) : r.node_name);
}

std::string Gpus(int n) { return std::to_string(n) + (n == 1 ? " GPU" : " GPUs"); }

}  // namespace

DevicePlan PlanDevices(DeviceKind kind, const std::vector<RankDevices>& ranks) {
  DevicePlan plan;
  plan.devices.assign(ranks.size(), "");
  const RankDevices* with_gpu = nullptr;
  const RankDevices* without_gpu = nullptr;
  // The first training rank that sees a GPU, and the first that sees none.
  for (const auto& r : ranks) {
    if (!r.trains) continue;
    if (r.visible_gpus > 0 && !with_gpu) with_gpu = &r;
    if (r.visible_gpus <= 0 && !without_gpu) without_gpu = &r;
  }
  bool cuda = false;
  switch (kind) {
    case DeviceKind::kCpu:
      break;
    case DeviceKind::kCuda:
      if (without_gpu) {
        plan.error = "execution.device is cuda, but " + Where(*without_gpu) +
                     " sees no GPU (LibTorch counts 0 CUDA devices; " + VisibleText(*without_gpu) +
                     "): run on a GPU node with a CUDA build of LibTorch, or set "
                     "execution.device (or --device) to cpu";
        return plan;
      }
      cuda = with_gpu != nullptr;
      break;
    case DeviceKind::kAuto:
      if (with_gpu && without_gpu) {
        plan.error = "execution.device is auto, but only some training ranks see a GPU (" +
                     Where(*with_gpu) + " sees " + Gpus(with_gpu->visible_gpus) + ", " +
                     Where(*without_gpu) +
                     " none): set execution.device (or --device) to cuda or cpu";
        return plan;
      }
      cuda = with_gpu != nullptr;
      break;
  }
  plan.cuda = cuda;
  // Training ranks that share a node and a CUDA_VISIBLE_DEVICES share those GPUs.
  std::map<std::tuple<int, bool, std::string>, std::vector<size_t>> groups;
  for (size_t i = 0; i < ranks.size(); ++i) {
    const RankDevices& r = ranks[i];
    if (!r.trains) continue;
    if (!cuda) {
      plan.devices[i] = "cpu";
      continue;
    }
    groups[{r.node, r.visible_devices_set, r.visible_devices}].push_back(i);
  }
  for (auto& [key, members] : groups) {
    std::sort(members.begin(), members.end(),
              [&](size_t a, size_t b) { return ranks[a].rank < ranks[b].rank; });
    int gpus = ranks[members.front()].visible_gpus;
    for (size_t i : members) gpus = std::min(gpus, ranks[i].visible_gpus);
    const int count = static_cast<int>(members.size());
    if (count > gpus) {
      const RankDevices& first = ranks[members.front()];
      plan.error =
          (first.node_name.empty() ? "node " + std::to_string(first.node) : first.node_name) +
          " has " + std::to_string(count) + " training ranks that see " + Gpus(gpus) + " (" +
          VisibleText(first) + "): each training rank needs a GPU of its own; start at most " +
          std::to_string(gpus) +
          " training ranks per node (the coordinator, rank 0, needs none) or give each "
          "task its GPU (Slurm: --gpus-per-task=1)";
      plan.devices.assign(ranks.size(), "");
      plan.cuda = false;
      return plan;
    }
    for (int k = 0; k < count; ++k) plan.devices[members[k]] = "cuda:" + std::to_string(k);
  }
  return plan;
}

}  // namespace florenz
