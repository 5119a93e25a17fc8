// Device placement of a job's training ranks (see device_plan.h): on each node, a matching of
// its training ranks to the physical GPUs they see, found in world-rank order.
#include "orchestrator/device_plan.h"

#include <algorithm>
#include <map>

namespace florenz {
namespace {

std::string VisibleText(const RankDevices& r) {
  return r.visible_devices_set ? "CUDA_VISIBLE_DEVICES=" + r.visible_devices
                               : std::string("CUDA_VISIBLE_DEVICES unset");
}

std::string NodeText(const RankDevices& r) {
  return r.node_name.empty() ? "node " + std::to_string(r.node) : r.node_name;
}

std::string Where(const RankDevices& r) {
  return "rank " + std::to_string(r.rank) + " on " + NodeText(r);
}

std::string Gpus(int n) { return std::to_string(n) + (n == 1 ? " GPU" : " GPUs"); }

// The physical GPU behind CUDA index `index` of rank `r`: its reported identity, or, where none
// was reported, the index within the rank's CUDA_VISIBLE_DEVICES (ranks with the same value
// see the same GPUs; ranks with different values, different ones).
std::string GpuIdentity(const RankDevices& r, int index) {
  if (index < static_cast<int>(r.gpu_ids.size()) && !r.gpu_ids[index].empty()) {
    return "id " + r.gpu_ids[index];
  }
  return VisibleText(r) + " #" + std::to_string(index);
}

// One node's training ranks (members, in world-rank order) and the GPUs they see, matched so
// that each member owns a GPU of its own (Kuhn's augmenting paths; a member first takes the
// first free GPU it sees, so the common launches need no augmenting at all).
class NodeMatching {
 public:
  // Adds a member seeing `gpus` (identities by CUDA index); returns its position.
  int Add(const std::vector<std::string>& gpus) {
    std::vector<int> sees;
    for (const auto& identity : gpus) {
      auto [it, added] = numbers_.emplace(identity, static_cast<int>(owner_.size()));
      if (added) owner_.push_back(-1);
      sees.push_back(it->second);
    }
    sees_.push_back(std::move(sees));
    index_.push_back(-1);
    return static_cast<int>(sees_.size()) - 1;
  }

  // Gives member `m` a GPU, moving earlier members to other GPUs they see where that frees
  // one; false when no such choice exists.
  bool Place(int m) {
    for (size_t k = 0; k < sees_[m].size(); ++k) {
      if (owner_[sees_[m][k]] < 0) {
        Take(m, static_cast<int>(k));
        return true;
      }
    }
    std::vector<bool> visited(owner_.size(), false);
    return Augment(m, &visited);
  }

  int distinct_gpus() const { return static_cast<int>(owner_.size()); }
  // The CUDA index member `m` trains on, as that member numbers its GPUs.
  int index(int m) const { return index_[m]; }

 private:
  void Take(int m, int k) {
    owner_[sees_[m][k]] = m;
    index_[m] = k;
  }

  bool Augment(int m, std::vector<bool>* visited) {
    for (size_t k = 0; k < sees_[m].size(); ++k) {
      const int gpu = sees_[m][k];
      if ((*visited)[gpu]) continue;
      (*visited)[gpu] = true;
      if (owner_[gpu] < 0 || Augment(owner_[gpu], visited)) {
        Take(m, static_cast<int>(k));
        return true;
      }
    }
    return false;
  }

  std::map<std::string, int> numbers_;  // GPU identity -> its number on this node
  std::vector<int> owner_;              // per GPU number: the member that owns it, or -1
  std::vector<std::vector<int>> sees_;  // per member: GPU numbers by CUDA index
  std::vector<int> index_;              // per member: the CUDA index it takes, or -1
};

// Why node's training ranks `members` (indices into `ranks`) cannot each own a GPU, given
// that the one at position `unplaced` found none.
std::string NoGpuFor(const std::vector<RankDevices>& ranks, const std::vector<size_t>& members,
                     size_t unplaced, int distinct_gpus) {
  const RankDevices& first = ranks[members.front()];
  const std::string remedy =
      ": each training rank needs a GPU of its own; start at most " +
      std::to_string(distinct_gpus) +
      " training ranks per node (the coordinator, rank 0, needs none), or let every task see all "
      "of the node's GPUs (Slurm: one task per GPU with --gpus-per-node=N --gpu-bind=none)";
  if (static_cast<int>(members.size()) > distinct_gpus) {
    return NodeText(first) + " has " + std::to_string(members.size()) +
           " training ranks that see " + Gpus(distinct_gpus) + " (" + VisibleText(first) +
           " on rank " + std::to_string(first.rank) + ")" + remedy;
  }
  const RankDevices& r = ranks[members[unplaced]];
  return Where(r) + " sees " + Gpus(r.visible_gpus) + " (" + VisibleText(r) +
         "), all of them taken by other training ranks of its node" + remedy;
}

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
  // The training ranks of each node, in world-rank order.
  std::map<int, std::vector<size_t>> nodes;
  for (size_t i = 0; i < ranks.size(); ++i) {
    const RankDevices& r = ranks[i];
    if (!r.trains) continue;
    if (!cuda) {
      plan.devices[i] = "cpu";
      continue;
    }
    nodes[r.node].push_back(i);
  }
  for (auto& [node, members] : nodes) {
    std::sort(members.begin(), members.end(),
              [&](size_t a, size_t b) { return ranks[a].rank < ranks[b].rank; });
    NodeMatching matching;
    for (size_t i : members) {
      std::vector<std::string> gpus;
      for (int k = 0; k < ranks[i].visible_gpus; ++k) gpus.push_back(GpuIdentity(ranks[i], k));
      matching.Add(gpus);
    }
    for (size_t m = 0; m < members.size(); ++m) {
      if (!matching.Place(static_cast<int>(m))) {
        plan.error = NoGpuFor(ranks, members, m, matching.distinct_gpus());
        plan.devices.assign(ranks.size(), "");
        plan.cuda = false;
        return plan;
      }
    }
    for (size_t m = 0; m < members.size(); ++m) {
      plan.devices[members[m]] = "cuda:" + std::to_string(matching.index(static_cast<int>(m)));
    }
  }
  return plan;
}

}  // namespace florenz
