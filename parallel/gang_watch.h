// GangWatch: a gang is one failure domain. When one rank of a multi-rank gang fails (an
// exception, a full disk, CUDA out of memory), its peers are usually waiting for it inside a
// collective; MPI cannot cancel one and NCCL's kernels spin on the GPU. The watch makes every
// wait of a gang interruptible:
// - the failing rank sends a failure notice to every other member, over a communicator of the
//   job used for nothing else (so notices never mix with the coordinator's protocol);
// - every host-side wait of the gang (an MPI collective, a device read, a barrier) polls the
//   watch, which throws GangAborted when a notice for this gang arrived, and CollectiveTimeout
//   when one wait has lasted past execution.collective_timeout;
// - what a wait leaves behind in flight (an MPI request, a buffer) is kept alive for the rest
//   of the process (Abandon), and the gang's communicators are never freed or reused (a freed
//   MPI context id could be taken by a later communicator and match a stale message).
// torch's ProcessGroupNCCL has the same shape: a watchdog, a timeout, abort instead of wait.
#pragma once

#include <mpi.h>
#include <torch/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/errors.h"

namespace florenz {

// This rank left its run because another member of the gang failed. Not the run's reason:
// the failing member reports that; the coordinator prefers it.
class GangAborted : public RunError {
 public:
  GangAborted(int origin, const std::string& reason)
      : RunError("gang member rank " + std::to_string(origin) + " failed: " + reason),
        origin_(origin),
        reason_(reason) {}
  int origin() const { return origin_; }  // the failing member's rank in the job
  const std::string& reason() const { return reason_; }

 private:
  int origin_;
  std::string reason_;
};

// One collective (or device read) of the gang waited longer than execution.collective_timeout:
// a member is stuck or gone without a word. A failure of the run (retried as any other).
class CollectiveTimeout : public RunError {
 public:
  using RunError::RunError;
};

class GangWatch {
 public:
  // `notices`: the job's communicator for failure notices (not owned; outlives the watch);
  // `members`: the gang's ranks in it, this rank among them; `gang_id`: this gang's attempt
  // (the coordinator's Assign tag), so a late notice for an earlier gang is dropped;
  // `timeout_seconds`: the longest one wait may take (> 0).
  GangWatch(MPI_Comm notices, std::vector<int> members, int gang_id, double timeout_seconds);

  // Sends `reason` to every other member (once; later calls do nothing). Never throws: it runs
  // while the run's exception is being handled.
  void NotifyFailure(const std::string& reason) noexcept;

  // Throws GangAborted if a member's notice for this gang arrived (drops notices of other
  // gangs). Cheap: one MPI_Iprobe.
  void Poll();
  // A wait that began at `since`: Poll(), then CollectiveTimeout when it has lasted past the
  // timeout (`what` names the wait in the message).
  void Poll(std::chrono::steady_clock::time_point since, const char* what);

  bool aborted() const { return aborted_; }
  double timeout_seconds() const { return timeout_seconds_; }

  // Keeps `tensor` alive for the rest of the process: an abandoned collective may still write
  // into it.
  static void Abandon(const torch::Tensor& tensor);

 private:
  MPI_Comm notices_;
  std::vector<int> members_;
  int gang_id_;
  double timeout_seconds_;
  int rank_ = 0;
  bool notified_ = false;
  bool aborted_ = false;
};

// Waits for `requests` (all of them), polling `watch` (may be null: a plain wait) between
// MPI_Testall calls, with short sleeps once the wait lasts; `what` names the collective in a
// timeout's message.
void WaitForRequests(std::vector<MPI_Request>& requests, GangWatch* watch, const char* what);

}  // namespace florenz
