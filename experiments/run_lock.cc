// RunLock (see run_lock.h): flock(LOCK_EX | LOCK_NB) on a file per run, opened without following
// links (OpenOwnFile); the holder writes its host, pid and start time into it after taking it.
#include "experiments/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "core/errors.h"

namespace florenz {
namespace {

std::string ReadHolder(int fd) {
  char text[256] = {};
  const ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
  std::string holder = n > 0 ? std::string(text, static_cast<size_t>(n)) : "";
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
  return holder.empty() ? "another florenz process" : holder;
}

std::string Me() {
  char host[256] = "?";
  gethostname(host, sizeof(host) - 1);
  const std::time_t now = std::time(nullptr);
  char since[32] = "";
  std::strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", std::localtime(&now));
  return "pid " + std::to_string(::getpid()) + " on " + host + " since " + since;
}

}  // namespace

std::optional<RunLock> RunLock::TryAcquire(const ResultsDir& results, const std::string& run_id,
                                           std::string* holder) {
  const auto file = results.LockFile(run_id);
  std::error_code error;
  std::filesystem::create_directories(file.parent_path(), error);
  // Never through a link: the holder's text is written into this file, so a link planted here
  // would make florenz overwrite the link's target.
  const int fd = OpenOwnFile(file, O_RDWR | O_CREAT, "cannot open the run's lock");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int saved = errno;
    if (holder) *holder = ReadHolder(fd);
    ::close(fd);
    if (saved == EWOULDBLOCK) return std::nullopt;
    throw IoError(file.string() + ": cannot lock: " + std::strerror(saved));
  }
  const std::string me = Me() + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
    // Who holds it is for messages only; the lock itself is taken.
  }
  return RunLock(fd);
}

std::string RunLock::Holder(const ResultsDir& results, const std::string& run_id) {
  const auto file = results.LockFile(run_id);
  const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return "";
  std::string holder;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    holder = ReadHolder(fd);
  } else {
    ::flock(fd, LOCK_UN);
  }
  ::close(fd);
  return holder;
}

RunLock::RunLock(RunLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

RunLock& RunLock::operator=(RunLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace florenz
