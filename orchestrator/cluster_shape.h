// ClusterShape: the worker ranks a job may schedule on, each with the node it runs on. The
// coordinator builds it from MPI_Comm_split_type(MPI_COMM_TYPE_SHARED); `florenz simulate` and
// the tests build it from a (ranks, ranks per node) pair. No MPI here.
#pragma once

#include <string>
#include <vector>

namespace florenz {

// One rank that may be given work, and the node (shared-memory domain) it lives on.
struct WorkerRank {
  int rank = 0;  // world rank
  int node = 0;  // node id, >= 0; ranks with the same id share a node
};

// Where the coordinator (world rank 0) sits in a uniform cluster built by ClusterShape::Uniform.
enum class CoordinatorPlacement {
  // Rank 0 takes one of the world's slots (plain `mpirun -np R`): R - 1 ranks work, and node
  // 0 has one worker fewer than the others.
  kSlot,
  // Rank 0 is an extra process on node 0 beyond the R working ranks (`mpirun -np R+1` with
  // oversubscription; it trains nothing and sleeps in blocking waits): all R slots work.
  kExtra,
};

// "slot", "extra".
const char* ToString(CoordinatorPlacement placement);
// Inverse of ToString(); false (and *placement untouched) for any other text.
bool FromString(const std::string& text, CoordinatorPlacement* placement);

// The set of worker ranks and their nodes. Rank 0 is the coordinator and is listed only in the
// embedded serial mode, where one process is both (Embedded()). Immutable; cheap to copy.
class ClusterShape {
 public:
  // Worker ranks in any order; they are kept sorted by rank. Throws std::invalid_argument for
  // an empty list, a negative rank or node id, or a rank listed twice.
  explicit ClusterShape(std::vector<WorkerRank> workers);

  // A cluster of `world_ranks` ranks (the coordinator included when kSlot), `ranks_per_node`
  // per node, numbered node-major as mpirun's default by-slot mapping does: world rank r sits
  // on node r / ranks_per_node. With kSlot rank 0 is left out; with kExtra the workers are
  // ranks 1..world_ranks and worker rank r sits on node (r - 1) / ranks_per_node. Throws
  // std::invalid_argument when fewer than one worker would remain or ranks_per_node < 1.
  static ClusterShape Uniform(int world_ranks, int ranks_per_node,
                              CoordinatorPlacement coordinator = CoordinatorPlacement::kSlot);

  // The serial embedded mode: one process, world rank 0 on node 0, is coordinator and worker.
  static ClusterShape Embedded();

  const std::vector<WorkerRank>& workers() const { return workers_; }
  int worker_count() const { return static_cast<int>(workers_.size()); }
  // Number of distinct node ids, and the largest node id + 1 (node ids need not be dense).
  int node_count() const { return node_count_; }
  int node_id_limit() const { return node_id_limit_; }
  // Most workers on any one node: the widest tensor-parallel group that can ever be placed.
  int max_workers_per_node() const { return max_workers_per_node_; }
  // The node of a worker rank; -1 when `rank` is not a worker.
  int NodeOf(int rank) const;

  // "63 worker ranks on 8 nodes (7-8 per node)".
  std::string Describe() const;

 private:
  std::vector<WorkerRank> workers_;  // sorted by rank
  int node_count_ = 0;
  int node_id_limit_ = 0;
  int max_workers_per_node_ = 0;
};

}  // namespace florenz
