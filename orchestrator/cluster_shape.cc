// ClusterShape (see cluster_shape.h): validation of the worker list and the uniform layouts
// that `florenz simulate` and the tests use.
#include "orchestrator/cluster_shape.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace florenz {

const char* ToString(CoordinatorPlacement placement) {
  return placement == CoordinatorPlacement::kSlot ? "slot" : "extra";
}

bool FromString(const std::string& text, CoordinatorPlacement* placement) {
  if (text == "slot") {
    *placement = CoordinatorPlacement::kSlot;
  } else if (text == "extra") {
    *placement = CoordinatorPlacement::kExtra;
  } else {
    return false;
  }
  return true;
}

ClusterShape::ClusterShape(std::vector<WorkerRank> workers) : workers_(std::move(workers)) {
  if (workers_.empty()) throw std::invalid_argument("cluster shape: no worker ranks");
  std::sort(workers_.begin(), workers_.end(),
            [](const WorkerRank& a, const WorkerRank& b) { return a.rank < b.rank; });
  std::map<int, int> per_node;
  for (size_t i = 0; i < workers_.size(); ++i) {
    const WorkerRank& w = workers_[i];
    if (w.rank < 0 || w.node < 0) {
      throw std::invalid_argument("cluster shape: rank " + std::to_string(w.rank) + " on node " +
                                  std::to_string(w.node) + ": ranks and nodes must be >= 0");
    }
    if (i > 0 && workers_[i - 1].rank == w.rank) {
      throw std::invalid_argument("cluster shape: rank " + std::to_string(w.rank) +
                                  " listed twice");
    }
    ++per_node[w.node];
  }
  node_count_ = static_cast<int>(per_node.size());
  node_id_limit_ = per_node.rbegin()->first + 1;
  for (const auto& [node, count] : per_node) {
    max_workers_per_node_ = std::max(max_workers_per_node_, count);
  }
}

ClusterShape ClusterShape::Uniform(int world_ranks, int ranks_per_node,
                                   CoordinatorPlacement coordinator) {
  if (ranks_per_node < 1) {
    throw std::invalid_argument("cluster shape: ranks per node " + std::to_string(ranks_per_node) +
                                " < 1");
  }
  const int first = coordinator == CoordinatorPlacement::kSlot ? 1 : 0;
  if (world_ranks - first < 1) {
    throw std::invalid_argument("cluster shape: " + std::to_string(world_ranks) +
                                " ranks leave no worker beside the coordinator (rank 0)");
  }
  std::vector<WorkerRank> workers;
  workers.reserve(world_ranks);
  for (int slot = first; slot < world_ranks; ++slot) {
    // kExtra: slot s is world rank s + 1 (rank 0 is the extra coordinator process).
    const int rank = coordinator == CoordinatorPlacement::kSlot ? slot : slot + 1;
    workers.push_back(WorkerRank{rank, slot / ranks_per_node});
  }
  return ClusterShape(std::move(workers));
}

ClusterShape ClusterShape::Embedded() { return ClusterShape({WorkerRank{0, 0}}); }

int ClusterShape::NodeOf(int rank) const {
  auto it = std::lower_bound(workers_.begin(), workers_.end(), rank,
                             [](const WorkerRank& w, int r) { return w.rank < r; });
  return it != workers_.end() && it->rank == rank ? it->node : -1;
}

std::string ClusterShape::Describe() const {
  std::map<int, int> per_node;
  for (const auto& w : workers_) ++per_node[w.node];
  int fewest = worker_count();
  for (const auto& [node, count] : per_node) fewest = std::min(fewest, count);
  std::string text = std::to_string(worker_count()) + " worker rank" +
                     (worker_count() == 1 ? "" : "s") + " on " + std::to_string(node_count_) +
                     " node" + (node_count_ == 1 ? "" : "s") + " (";
  text += fewest == max_workers_per_node_
              ? std::to_string(fewest)
              : std::to_string(fewest) + "-" + std::to_string(max_workers_per_node_);
  return text + " per node)";
}

}  // namespace florenz
