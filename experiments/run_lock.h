// RunLock: one writer per run. The process that trains a run (the coordinator of its job, on
// behalf of the gang) holds an flock on OUT/locks/<run_id>.lock for as long as the run is
// assigned; a second `florenz run` on the same folder finds it held and skips the run. The
// kernel releases an flock when its holder dies, kill -9 included, so no lock is ever stale.
// The file says who holds it (host, pid, since when), for messages and `florenz status`.
#pragma once

#include <optional>
#include <string>

#include "experiments/results_dir.h"

namespace florenz {

class RunLock {
 public:
  // Takes run_id's lock without waiting. nullopt when another process holds it; `holder` then
  // says who ("pid 4242 on node7 since 2026-11-30 02:10:00"). Throws IoError when the lock
  // file cannot be created, or when a symbolic link, another kind of file or a hard-linked
  // file sits at locks/<run_id>.lock (its target is never opened for writing).
  static std::optional<RunLock> TryAcquire(const ResultsDir& results, const std::string& run_id,
                                           std::string* holder);
  // Who holds run_id's lock, or "" when nobody does. Read-only: for `florenz status`.
  static std::string Holder(const ResultsDir& results, const std::string& run_id);

  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();  // releases the lock; the file stays (removing it would race a new holder)

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace florenz
