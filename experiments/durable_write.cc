// AtomicFile and the durable-write helpers (see durable_write.h): O_EXCL | O_NOFOLLOW creation
// under unique names, lstat checks before every publishing rename, fsync of files and folders.
#include "experiments/durable_write.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "core/errors.h"
#include "core/hash.h"

namespace florenz {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void ThrowErrno(const fs::path& path, const std::string& what, int error) {
  throw IoError(path.string() + ": " + what + ": " + std::strerror(error));
}

// 64 unpredictable bits: the kernel's, or (should getrandom fail) a mix of time, pid and a
// counter, which is still unique per process.
uint64_t RandomBits() {
  uint64_t bits = 0;
  if (::getrandom(&bits, sizeof(bits), GRND_NONBLOCK) == sizeof(bits)) return bits;
  static std::atomic<uint64_t> counter{0};
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  return SplitMix64(static_cast<uint64_t>(now) ^ (static_cast<uint64_t>(::getpid()) << 32) ^
                    counter++);
}

const char* KindOf(mode_t mode) {
  if (S_ISLNK(mode)) return "is a symbolic link";
  if (S_ISDIR(mode)) return "is a directory";
  if (S_ISFIFO(mode)) return "is a FIFO";
  if (S_ISSOCK(mode)) return "is a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "is a device";
  return "is not a regular file";
}

std::string RefusalText(mode_t mode) {
  return std::string(KindOf(mode)) +
         " where florenz keeps a file of its own; florenz never writes through links and "
         "leaves it as it is (remove it to go on)";
}

// Opens `path` with `flags`, fsyncs it and closes it.
void SyncPath(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) ThrowErrno(path, "cannot open for fsync", errno);
  if (::fsync(fd) != 0) {
    const int saved = errno;
    ::close(fd);
    ThrowErrno(path, "fsync failed", saved);
  }
  if (::close(fd) != 0) ThrowErrno(path, "close failed", errno);
}

}  // namespace

void RefuseNonRegularFile(const fs::path& file) {
  struct stat st;
  if (::lstat(file.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    ThrowErrno(file, "cannot stat", errno);
  }
  if (!S_ISREG(st.st_mode)) throw IoError(file.string() + ": " + RefusalText(st.st_mode));
}

int OpenOwnFile(const fs::path& file, int flags, const std::string& what, mode_t mode) {
  const int fd = ::open(file.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
  if (fd < 0) {
    const int saved = errno;
    struct stat st;
    if ((saved == ELOOP || saved == ENXIO || saved == EISDIR) && ::lstat(file.c_str(), &st) == 0)
      throw IoError(file.string() + ": " + what + ": " + RefusalText(st.st_mode));
    ThrowErrno(file, what, saved);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int saved = errno;
    ::close(fd);
    ThrowErrno(file, what, saved);
  }
  if (!S_ISREG(st.st_mode) || st.st_nlink > 1) {
    ::close(fd);
    throw IoError(file.string() + ": " + what + ": " +
                  (S_ISREG(st.st_mode)
                       ? std::string("has other hard links (a link to another file?); florenz "
                                     "leaves it as it is (remove it to go on)")
                       : RefusalText(st.st_mode)));
  }
  return fd;
}

fs::path UniqueTemporaryFile(const fs::path& target) {
  const std::string name = "." + std::to_string(::getpid()) + "-" + Hex16(RandomBits()) + "." +
                           target.filename().string() + ".tmp";
  return target.has_parent_path() ? target.parent_path() / name : fs::path(name);
}

namespace {

// True when `name` is UniqueTemporaryFile's name for a file called `target_name`.
bool IsTemporaryOf(const std::string& name, const std::string& target_name) {
  const std::string tail = "." + target_name + ".tmp";
  if (name.size() <= tail.size() + 1 || name[0] != '.' ||
      name.compare(name.size() - tail.size(), tail.size(), tail) != 0) {
    return false;
  }
  const std::string stamp = name.substr(1, name.size() - tail.size() - 1);  // <pid>-<hex16>
  const size_t dash = stamp.find('-');
  if (dash == 0 || dash == std::string::npos || stamp.size() - dash - 1 != 16) return false;
  for (size_t i = 0; i < stamp.size(); ++i) {
    const char c = stamp[i];
    const bool ok = i < dash ? (c >= '0' && c <= '9')
                             : i == dash || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void RemoveStaleTemporaries(const fs::path& target, std::chrono::seconds min_age) {
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string target_name = target.filename().string();
  ::unlink((target.string() + ".tmp").c_str());
  std::error_code error;
  fs::directory_iterator it(dir, error);
  if (error) return;
  const auto now = fs::file_time_type::clock::now();
  for (; it != fs::directory_iterator(); it.increment(error)) {
    if (error) return;
    if (!IsTemporaryOf(it->path().filename().string(), target_name)) continue;
    std::error_code stat_error;
    const auto modified =
        fs::symlink_status(it->path(), stat_error).type() == fs::file_type::symlink
            ? now - min_age  // a planted link: remove it, whatever its age
            : fs::last_write_time(it->path(), stat_error);
    if (stat_error || now - modified < min_age) continue;
    ::unlink(it->path().c_str());
  }
}

// ---- AtomicFile -------------------------------------------------------------------------------

AtomicFile::AtomicFile(fs::path target, mode_t mode) : target_(std::move(target)) {
  for (int attempt = 0;; ++attempt) {
    temporary_ = UniqueTemporaryFile(target_);
    fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd_ >= 0) break;
    // EEXIST: a name taken (by chance or planted); draw another. Anything else is the folder's,
    // and the message names the file the user asked for, not its temporary.
    if (errno != EEXIST || attempt == 8) ThrowErrno(target_, "cannot create", errno);
  }
  struct stat st;
  if (::fstat(fd_, &st) == 0) {
    device_ = st.st_dev;
    inode_ = st.st_ino;
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!published_ && !temporary_.empty()) ::unlink(temporary_.c_str());
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : target_(std::move(other.target_)),
      temporary_(std::exchange(other.temporary_, fs::path())),
      fd_(std::exchange(other.fd_, -1)),
      device_(other.device_),
      inode_(other.inode_),
      published_(other.published_) {}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    if (!published_ && !temporary_.empty()) ::unlink(temporary_.c_str());
    target_ = std::move(other.target_);
    temporary_ = std::exchange(other.temporary_, fs::path());
    fd_ = std::exchange(other.fd_, -1);
    device_ = other.device_;
    inode_ = other.inode_;
    published_ = other.published_;
  }
  return *this;
}

void AtomicFile::Write(std::string_view bytes) {
  if (fd_ < 0) throw IoError(temporary_.string() + ": write after close");
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno(temporary_, "write failed", errno);
    written += static_cast<size_t>(n);
  }
}

void AtomicFile::Close(bool durable) {
  if (fd_ < 0) return;
  const int fd = std::exchange(fd_, -1);
  if (durable && ::fsync(fd) != 0) {
    const int saved = errno;
    ::close(fd);
    ThrowErrno(temporary_, "fsync failed", saved);
  }
  if (::close(fd) != 0) ThrowErrno(temporary_, "close failed", errno);
}

void AtomicFile::CheckUnchanged() const {
  struct stat st;
  if (::lstat(temporary_.c_str(), &st) != 0) ThrowErrno(temporary_, "cannot stat", errno);
  if (!S_ISREG(st.st_mode) || st.st_dev != device_ || st.st_ino != inode_) {
    throw IoError(temporary_.string() +
                  ": was replaced while florenz wrote it (another process in this folder?)");
  }
}

void AtomicFile::Publish() {
  Close();
  RefuseNonRegularFile(target_);
  if (::rename(temporary_.c_str(), target_.c_str()) != 0) {
    ThrowErrno(target_, "cannot rename " + temporary_.string(), errno);
  }
  published_ = true;
}

void AtomicFile::Commit(bool durable) {
  Close(durable);
  Publish();
  if (durable) SyncDirectory(target_.has_parent_path() ? target_.parent_path() : fs::path("."));
}

// ---- Helpers ----------------------------------------------------------------------------------

void SyncFile(const fs::path& file) { SyncPath(file, O_RDONLY); }

void SyncDirectory(const fs::path& dir) { SyncPath(dir, O_RDONLY | O_DIRECTORY); }

void WriteFileAtomically(const fs::path& file, const std::string& contents) {
  AtomicFile out(file);
  out.Write(contents);
  out.Commit();
}

void CopyFileAtomically(const fs::path& from, const fs::path& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) ThrowErrno(from, "cannot read", errno);
  AtomicFile out(to);
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(in, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      ::close(in);
      ThrowErrno(from, "read failed", saved);
    }
    if (n == 0) break;
    try {
      out.Write(std::string_view(buffer, static_cast<size_t>(n)));
    } catch (...) {
      ::close(in);
      throw;
    }
  }
  ::close(in);
  out.Commit();
}

}  // namespace florenz
