// GangWatch (gang_watch.h): failure notices over the job's notice communicator and the
// polling wait every collective of a watched gang goes through.
#include "parallel/gang_watch.h"

#include <sched.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "parallel/mpi_check.h"

namespace florenz {
namespace {

// The one tag of notices. A notice is [gang_id, origin rank, reason bytes...].
constexpr int kNoticeTag = 7;

struct Notice {
  int gang_id = -1;
  int origin = -1;
  std::string reason;
};

// The next notice that has arrived, if any (never blocks).
std::optional<Notice> TryReceiveNotice(MPI_Comm notices) {
  int flag = 0;
  MPI_Status status;
  MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, kNoticeTag, notices, &flag, &status));
  if (!flag) return std::nullopt;
  int bytes = 0;
  MPI_CHECK(MPI_Get_count(&status, MPI_BYTE, &bytes));
  std::vector<char> buffer(static_cast<size_t>(bytes));
  MPI_CHECK(MPI_Recv(buffer.data(), bytes, MPI_BYTE, status.MPI_SOURCE, kNoticeTag, notices,
                     MPI_STATUS_IGNORE));
  Notice notice;
  if (bytes >= static_cast<int>(2 * sizeof(int))) {
    std::memcpy(&notice.gang_id, buffer.data(), sizeof(int));
    std::memcpy(&notice.origin, buffer.data() + sizeof(int), sizeof(int));
    notice.reason.assign(buffer.data() + 2 * sizeof(int), buffer.data() + bytes);
  }
  return notice;
}

std::mutex& AbandonedMutex() {
  static std::mutex mutex;
  return mutex;
}
std::vector<torch::Tensor>& Abandoned() {
  static auto* tensors = new std::vector<torch::Tensor>;  // never destroyed: see Abandon
  return *tensors;
}

}  // namespace

GangWatch::GangWatch(MPI_Comm notices, std::vector<int> members, int gang_id,
                     double timeout_seconds)
    : notices_(notices),
      members_(std::move(members)),
      gang_id_(gang_id),
      timeout_seconds_(timeout_seconds) {
  MPI_CHECK(MPI_Comm_rank(notices_, &rank_));
}

void GangWatch::NotifyFailure(const std::string& reason) noexcept {
  if (notified_ || aborted_) return;  // a member that left because of a notice stays quiet
  notified_ = true;
  std::vector<char> buffer(2 * sizeof(int) + reason.size());
  std::memcpy(buffer.data(), &gang_id_, sizeof(int));
  std::memcpy(buffer.data() + sizeof(int), &rank_, sizeof(int));
  std::memcpy(buffer.data() + 2 * sizeof(int), reason.data(), reason.size());
  for (int member : members_) {
    if (member == rank_) continue;
    // Buffered: a notice is small, and its receiver may be deep in a collective. MPI_Bsend
    // would need an attached buffer; a request freed at once delivers the eager message all
    // the same, and the buffer lives on (leaked) in case the transport reads it late.
    auto* copy = new std::vector<char>(buffer);
    MPI_Request request = MPI_REQUEST_NULL;
    if (MPI_Isend(copy->data(), static_cast<int>(copy->size()), MPI_BYTE, member, kNoticeTag,
                  notices_, &request) == MPI_SUCCESS) {
      MPI_Request_free(&request);
    } else {
      std::cerr << "florenz: warning: could not tell rank " << member << " that this gang failed\n";
    }
  }
}

void GangWatch::Poll() {
  if (aborted_) throw RunError("the gang's run was abandoned after a failure");
  while (auto notice = TryReceiveNotice(notices_)) {
    if (notice->gang_id != gang_id_) continue;  // an earlier gang's: dropped
    aborted_ = true;
    throw GangAborted(notice->origin, notice->reason);
  }
}

void GangWatch::Poll(std::chrono::steady_clock::time_point since, const char* what) {
  Poll();
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
  if (waited > timeout_seconds_) {
    aborted_ = true;
    throw CollectiveTimeout(std::string(what) + " waited " + std::to_string(int(waited)) +
                            " s for the gang, past execution.collective_timeout (" +
                            std::to_string(int(timeout_seconds_)) +
                            " s): a member is stuck or gone");
  }
}

void GangWatch::Abandon(const torch::Tensor& tensor) {
  if (!tensor.defined()) return;
  std::lock_guard<std::mutex> lock(AbandonedMutex());
  Abandoned().push_back(tensor);
}

void WaitForRequests(std::vector<MPI_Request>& requests, GangWatch* watch, const char* what) {
  const int count = static_cast<int>(requests.size());
  if (watch == nullptr) {
    MPI_CHECK(MPI_Waitall(count, requests.data(), MPI_STATUSES_IGNORE));
    return;
  }
  const auto since = std::chrono::steady_clock::now();
  for (int spins = 0;; ++spins) {
    int done = 0;
    MPI_CHECK(MPI_Testall(count, requests.data(), &done, MPI_STATUSES_IGNORE));
    if (done) return;
    // Poll the watch every 64 tests: an Iprobe costs about as much as a Test.
    if (spins % 64 != 63) continue;
    watch->Poll(since, what);
    // A collective's rounds need this rank's progress calls: spin first (a step's collectives
    // take microseconds to milliseconds), then yield the core to a computing peer, and sleep
    // only once the wait has lasted a second (a straggler or a gone member).
    if (spins > 10000) {
      const double waited =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
      if (waited > 1.0) {
        usleep(200);
      } else {
        sched_yield();
      }
    }
  }
}

}  // namespace florenz
