// The scheduler (see scheduler.h): queue order, best-fit node-aware gang placement, EASY
// backfilling, and the rank bookkeeping for finished, failed, requeued and lost gangs.
#include "orchestrator/scheduler.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <stdexcept>

namespace florenz {

const char* ToString(SchedulingPolicy policy) {
  return policy == SchedulingPolicy::kLpt ? "lpt" : "fifo";
}

bool FromString(const std::string& text, SchedulingPolicy* policy) {
  if (text == "lpt") {
    *policy = SchedulingPolicy::kLpt;
  } else if (text == "fifo") {
    *policy = SchedulingPolicy::kFifo;
  } else {
    return false;
  }
  return true;
}

const char* ToString(BackfillMode mode) { return mode == BackfillMode::kNone ? "none" : "easy"; }

bool FromString(const std::string& text, BackfillMode* mode) {
  if (text == "none") {
    *mode = BackfillMode::kNone;
  } else if (text == "easy") {
    *mode = BackfillMode::kEasy;
  } else {
    return false;
  }
  return true;
}

bool SchedulerOptions::IsValid(std::string* error) const {
  if (!(default_flops_per_rank_second > 0) || !std::isfinite(default_flops_per_rank_second)) {
    if (error != nullptr) {
      *error = "default_flops_per_rank_second must be a finite number > 0, not " +
               std::to_string(default_flops_per_rank_second);
    }
    return false;
  }
  return true;
}

bool Scheduler::QueueOrder::operator()(const QueueKey& a, const QueueKey& b) const {
  if (policy == SchedulingPolicy::kLpt) {
    if (a.key != b.key) return a.key > b.key;
    if (a.ranks != b.ranks) return a.ranks > b.ranks;
  }
  return a.seq < b.seq;
}

Scheduler::Scheduler(ClusterShape shape, SchedulerOptions options)
    : shape_(std::move(shape)),
      options_(options),
      throughput_(options.default_flops_per_rank_second),
      queue_(QueueOrder{options.policy}) {
  std::string error;
  if (!options_.IsValid(&error)) throw std::invalid_argument("scheduler options: " + error);
  for (const WorkerRank& w : shape_.workers()) node_ids_.push_back(w.node);
  std::sort(node_ids_.begin(), node_ids_.end());
  node_ids_.erase(std::unique(node_ids_.begin(), node_ids_.end()), node_ids_.end());
  free_.resize(node_ids_.size());
  const auto& workers = shape_.workers();
  for (size_t i = 0; i < workers.size(); ++i) {
    const int node = static_cast<int>(
        std::lower_bound(node_ids_.begin(), node_ids_.end(), workers[i].node) - node_ids_.begin());
    rank_index_[workers[i].rank] = static_cast<int>(i);
    rank_node_.push_back(node);
    free_[node].insert(workers[i].rank);
  }
  lost_.assign(workers.size(), 0);
  free_total_ = shape_.worker_count();
}

// ---- Queue ------------------------------------------------------------------------------------

void Scheduler::Submit(const PendingRun& run) {
  if (run.tp < 1 || run.dp < 1) {
    throw std::invalid_argument("run " + run.id + ": tp " + std::to_string(run.tp) + " x dp " +
                                std::to_string(run.dp) + ": both must be >= 1");
  }
  if (!(run.flops >= 0) || !std::isfinite(run.flops)) {
    throw std::invalid_argument("run " + run.id + ": estimated FLOPs must be finite and >= 0");
  }
  if (pending_ids_.count(run.id) != 0 || running_.count(run.id) != 0) {
    throw std::invalid_argument("run " + run.id + ": already pending or running");
  }
  const std::string why = WhyUnplaceable(run.tp, run.dp);
  if (!why.empty()) throw std::invalid_argument("run " + run.id + ": " + why);
  Enqueue(run, next_seq_++);
}

void Scheduler::Enqueue(const PendingRun& run, uint64_t seq) {
  const QueueKey key{run.flops / run.ranks(), run.ranks(), seq};
  queue_.insert(key);
  pending_.emplace(seq, Pending{run, key});
  pending_ids_.emplace(run.id, seq);
  ++pending_shapes_[{run.tp, run.dp}];
}

std::vector<std::string> Scheduler::PendingIds() const {
  std::vector<std::string> ids;
  ids.reserve(queue_.size());
  for (const QueueKey& key : queue_) ids.push_back(pending_.at(key.seq).run.id);
  return ids;
}

double Scheduler::EstimatedSeconds(const PendingRun& run) const {
  return throughput_.Seconds(run.flops, run.ranks());
}

// ---- Placement --------------------------------------------------------------------------------

int Scheduler::NodeIndexOf(int rank) const { return rank_node_[rank_index_.at(rank)]; }

bool Scheduler::FitsCounts(int tp, int dp, const std::vector<int>& free_per_node) {
  int64_t groups = 0;
  for (const int count : free_per_node) groups += count / tp;
  return groups >= dp;
}

std::vector<int> Scheduler::FindGang(int tp, int dp) const {
  const int nodes = static_cast<int>(free_.size());
  std::vector<int> slots(nodes);
  int64_t total = 0;
  for (int n = 0; n < nodes; ++n) total += slots[n] = static_cast<int>(free_[n].size()) / tp;
  if (total < dp) return {};

  // Nodes by tp groups they can hold, most first; the fullest (fewest free ranks) first among
  // equals, then the lower node. The gang takes whole nodes from the front until the rest
  // fits one node, which is chosen best-fit among the nodes that can hold the rest.
  std::vector<int> order;
  for (int n = 0; n < nodes; ++n) {
    if (slots[n] > 0) order.push_back(n);
  }
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    if (slots[a] != slots[b]) return slots[a] > slots[b];
    if (free_[a].size() != free_[b].size()) return free_[a].size() < free_[b].size();
    return a < b;
  });
  std::vector<std::pair<int, int>> take;  // (node index, tp groups)
  int need = dp;
  for (size_t i = 0; i < order.size() && need > 0; ++i) {
    if (slots[order[i]] >= need) {
      int best = order[i];
      for (size_t j = i + 1; j < order.size() && slots[order[j]] >= need; ++j) {
        const int n = order[j];
        if (free_[n].size() < free_[best].size() ||
            (free_[n].size() == free_[best].size() && n < best)) {
          best = n;
        }
      }
      take.emplace_back(best, need);
      need = 0;
    } else {
      take.emplace_back(order[i], slots[order[i]]);
      need -= slots[order[i]];
    }
  }
  std::vector<int> gang;
  gang.reserve(static_cast<size_t>(tp) * dp);
  for (const auto& [node, groups] : take) {
    auto it = free_[node].begin();
    for (int k = 0; k < groups * tp; ++k, ++it) gang.push_back(*it);
  }
  return gang;
}

std::vector<int> Scheduler::LiveCounts() const {
  std::vector<int> counts(free_.size(), 0);
  for (size_t i = 0; i < rank_node_.size(); ++i) {
    if (!lost_[i]) ++counts[rank_node_[i]];
  }
  return counts;
}

std::string Scheduler::WhyUnplaceable(int tp, int dp) const {
  const std::string gang = "tp " + std::to_string(tp) + " x dp " + std::to_string(dp) + " = " +
                           std::to_string(int64_t{tp} * dp) + " ranks";
  if (tp < 1 || dp < 1) return gang + ": tp and dp must be >= 1";
  const std::vector<int> live = LiveCounts();
  const int widest = live.empty() ? 0 : *std::max_element(live.begin(), live.end());
  int live_total = 0;
  for (const int count : live) live_total += count;
  if (tp > widest) {
    return gang + ": a tensor-parallel group needs " + std::to_string(tp) +
           " ranks on one node, but the largest node has " + std::to_string(widest) +
           " live worker ranks";
  }
  if (!FitsCounts(tp, dp, live)) {
    int64_t groups = 0;
    for (const int count : live) groups += count / tp;
    return gang + ": the " + std::to_string(live_total) + " live worker ranks hold only " +
           std::to_string(groups) + " node-local groups of " + std::to_string(tp);
  }
  return "";
}

bool Scheduler::Reserve(const PendingRun& run, double now, Reservation* reservation) const {
  std::vector<int> counts(free_.size());
  for (size_t n = 0; n < free_.size(); ++n) counts[n] = static_cast<int>(free_[n].size());
  // Running gangs by estimated end (a gang past its estimate ends "now"), then queue position.
  std::vector<std::pair<double, const Running*>> ends;
  ends.reserve(running_.size());
  for (const auto& [id, r] : running_) {
    const double end = std::max(now, r.start + throughput_.Seconds(r.run.flops, r.run.ranks()));
    ends.emplace_back(end, &r);
  }
  std::sort(ends.begin(), ends.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return a.second->key.seq < b.second->key.seq;
  });
  for (const auto& [end, r] : ends) {
    for (const int rank : r->ranks) {
      if (!lost_[rank_index_.at(rank)]) ++counts[NodeIndexOf(rank)];
    }
    if (FitsCounts(run.tp, run.dp, counts)) {
      *reservation = Reservation{run.tp, run.dp, end, std::move(counts)};
      return true;
    }
  }
  return false;
}

std::vector<Placement> Scheduler::Schedule(double now) {
  std::vector<Placement> placements;
  std::set<std::pair<int, int>> no_fit;  // shapes that do not fit: free ranks only shrink here
  // Per shape, until the next placement changes the free ranks: the gang FindGang chose, and
  // whether it leaves the reservation intact (-1 = not checked yet). Runs of one shape differ
  // only in length, so a long queue of them costs one FindGang, not one each.
  struct Fit {
    std::vector<int> gang;
    int intact = -1;
  };
  std::map<std::pair<int, int>, Fit> fits;
  size_t outlasting = 0;  // shapes in `fits` whose gang would break the reservation
  bool blocked = false;   // a run earlier in the queue could not start
  bool reserved = false;
  Reservation reservation;
  // When every shape either does not fit or would break the reservation, only runs that end
  // before it may start; LPT's queue is ordered by estimated seconds, so those are its tail.
  auto skip_to_runs_ending_before_reservation = [&](std::set<QueueKey, QueueOrder>::iterator* at) {
    if (options_.policy != SchedulingPolicy::kLpt ||
        no_fit.size() + outlasting != pending_shapes_.size()) {
      return false;
    }
    const double limit =
        (reservation.shadow_time - now) * throughput_.flops_per_rank_second() * (1 + 1e-12);
    const auto first_short = queue_.lower_bound(QueueKey{limit, INT_MAX, 0});
    if (first_short == queue_.end() || queue_.key_comp()(**at, *first_short)) *at = first_short;
    return true;
  };
  for (auto it = queue_.begin(); it != queue_.end() && free_total_ > 0;) {
    if (no_fit.size() == pending_shapes_.size()) break;  // nothing left can fit
    const PendingRun& run = pending_.at(it->seq).run;
    const std::pair<int, int> shape{run.tp, run.dp};
    Fit* fit = nullptr;
    if (no_fit.count(shape) == 0 && run.ranks() <= free_total_) {
      auto [entry, added] = fits.try_emplace(shape);
      if (added) entry->second.gang = FindGang(run.tp, run.dp);
      fit = &entry->second;
    }
    if (fit == nullptr || fit->gang.empty()) {
      no_fit.insert(shape);
      if (options_.backfill == BackfillMode::kNone) break;
      if (!blocked) {
        blocked = true;
        reserved = Reserve(run, now, &reservation);
      }
      ++it;
      continue;
    }
    const double estimate = EstimatedSeconds(run);
    if (reserved && now + estimate > reservation.shadow_time) {
      // Outlasts the reservation: allowed only if the blocked run still fits at its time.
      if (fit->intact < 0) {
        std::vector<int> counts = reservation.free_at_shadow;
        for (const int rank : fit->gang) --counts[NodeIndexOf(rank)];
        fit->intact = FitsCounts(reservation.tp, reservation.dp, counts);
        if (!fit->intact) ++outlasting;
      }
      if (!fit->intact) {
        if (!skip_to_runs_ending_before_reservation(&it)) ++it;
        continue;
      }
      std::vector<int> counts = reservation.free_at_shadow;
      for (const int rank : fit->gang) --counts[NodeIndexOf(rank)];
      reservation.free_at_shadow = std::move(counts);
    }
    std::vector<int> gang = std::move(fit->gang);
    fits.clear();
    outlasting = 0;
    Take(gang);
    placements.push_back(Placement{run.id, run.tp, run.dp, gang, estimate, blocked});
    const uint64_t seq = it->seq;
    Pending pending = std::move(pending_.at(seq));
    pending_.erase(seq);
    pending_ids_.erase(pending.run.id);
    if (--pending_shapes_[shape] == 0) pending_shapes_.erase(shape);
    it = queue_.erase(it);
    running_.emplace(pending.run.id,
                     Running{pending.run, pending.key, std::move(gang), now, estimate});
  }
  return placements;
}

// ---- Events -----------------------------------------------------------------------------------

void Scheduler::Take(const std::vector<int>& ranks) {
  for (const int rank : ranks) {
    free_[NodeIndexOf(rank)].erase(rank);
    --free_total_;
  }
}

void Scheduler::Release(const std::vector<int>& ranks) {
  for (const int rank : ranks) {
    if (lost_[rank_index_.at(rank)]) continue;
    if (free_[NodeIndexOf(rank)].insert(rank).second) ++free_total_;
  }
}

Scheduler::Running Scheduler::RemoveRunning(const std::string& run_id, const char* operation) {
  auto it = running_.find(run_id);
  if (it == running_.end()) {
    throw std::invalid_argument(std::string(operation) + "(" + run_id + "): run is not running");
  }
  Running running = std::move(it->second);
  running_.erase(it);
  Release(running.ranks);
  return running;
}

void Scheduler::OnFinished(const std::string& run_id, double seconds) {
  const Running running = RemoveRunning(run_id, "OnFinished");
  throughput_.Record(running.run.flops, running.run.ranks(), seconds);
}

void Scheduler::OnFailed(const std::string& run_id) { RemoveRunning(run_id, "OnFailed"); }

void Scheduler::Requeue(const std::string& run_id) {
  const Running running = RemoveRunning(run_id, "Requeue");
  const std::string why = WhyUnplaceable(running.run.tp, running.run.dp);
  if (why.empty()) {
    Enqueue(running.run, running.key.seq);
  } else {
    unplaceable_.emplace_back(running.run.id, why);
  }
}

void Scheduler::MarkLost(const std::vector<int>& ranks) {
  for (const int rank : ranks) {
    auto it = rank_index_.find(rank);
    if (it == rank_index_.end()) {
      throw std::invalid_argument("MarkLost: rank " + std::to_string(rank) +
                                  " is not a worker rank");
    }
    if (lost_[it->second]) continue;
    lost_[it->second] = 1;
    ++lost_total_;
    if (free_[rank_node_[it->second]].erase(rank) > 0) --free_total_;
  }
  // Pending runs that the live ranks can no longer hold leave the queue, in queue order.
  for (auto it = queue_.begin(); it != queue_.end();) {
    const PendingRun& run = pending_.at(it->seq).run;
    std::string why = WhyUnplaceable(run.tp, run.dp);
    if (why.empty()) {
      ++it;
      continue;
    }
    unplaceable_.emplace_back(run.id, std::move(why));
    const std::pair<int, int> shape{run.tp, run.dp};
    if (--pending_shapes_[shape] == 0) pending_shapes_.erase(shape);
    pending_ids_.erase(run.id);
    pending_.erase(it->seq);
    it = queue_.erase(it);
  }
}

std::vector<std::pair<std::string, std::string>> Scheduler::TakeUnplaceable() {
  return std::exchange(unplaceable_, {});
}

int Scheduler::busy_rank_count() const {
  int busy = 0;
  for (const auto& [id, r] : running_) busy += static_cast<int>(r.ranks.size());
  return busy;
}

std::vector<int> Scheduler::RanksOf(const std::string& run_id) const {
  auto it = running_.find(run_id);
  return it == running_.end() ? std::vector<int>{} : it->second.ranks;
}

}  // namespace florenz
