// Link-safe, durable writes: everything florenz creates in a results folder is first written to
// a fresh temporary file (created exclusively under a per-process unique name, without following
// links) and published by rename, which replaces a name and never writes through a link. A link
// or another kind of file where florenz expects its own is refused with an IoError naming it.
// See "Links and concurrent writers" in docs/results-format.md.
#ifndef FLORENZ_EXPERIMENTS_DURABLE_WRITE_H_
#define FLORENZ_EXPERIMENTS_DURABLE_WRITE_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

namespace florenz {

// Throws IoError naming `file` when it exists as anything but a regular file: a symbolic link
// (whose target florenz never touches), a directory, a FIFO, a device. Absent is fine.
void RefuseNonRegularFile(const std::filesystem::path& file);

// Opens a file florenz owns in place (a run's lock): open(2) with `flags` | O_NOFOLLOW |
// O_NONBLOCK | O_CLOEXEC (`mode` for O_CREAT). Refuses, with IoError "<file>: <what>: ...", a
// symbolic link, anything but a regular file, and a regular file with more than one hard link
// (a planted link to someone else's file). Returns the descriptor.
int OpenOwnFile(const std::filesystem::path& file, int flags, const std::string& what,
                mode_t mode = 0644);

// "<dir>/.<pid>-<random>.<name>.tmp": a name no other process and no earlier run picks, so there
// is nothing to plant in advance. Ends in "<name>.tmp", so messages read "checkpoint.pt.tmp: ..."
// and listings that skip "*.tmp" skip it.
std::filesystem::path UniqueTemporaryFile(const std::filesystem::path& target);

// Removes what killed writers left of `target`'s temporaries: UniqueTemporaryFile names for it
// last modified at least `min_age` ago, and the fixed "<target>.tmp" of earlier versions. unlink
// removes a link itself, never its target. Best effort: errors are ignored.
void RemoveStaleTemporaries(const std::filesystem::path& target, std::chrono::seconds min_age);

// One file being written for an atomic replace of `target`. The constructor creates the
// temporary (UniqueTemporaryFile) with O_CREAT | O_EXCL | O_NOFOLLOW, so a planted link makes
// creation fail instead of being followed. Until Publish() the destructor removes it, so no
// error path leaves a temporary behind. Move-only; errors are IoError naming the path.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target, mode_t mode = 0644);
  ~AtomicFile();  // removes an unpublished temporary; never throws
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::filesystem::path& target() const { return target_; }
  const std::filesystem::path& temporary() const { return temporary_; }
  // The open descriptor of the temporary (-1 after Close()).
  int fd() const { return fd_; }

  // Writes all of `bytes` at the current offset ("<temporary>: write failed: <OS error>").
  void Write(std::string_view bytes);
  // fsync (when `durable`) and close the temporary. Idempotent.
  void Close(bool durable = true);
  // Throws unless the temporary still is the regular file this object created (same device and
  // inode): for files a library reopens by name (PLplot), checked before they are published.
  void CheckUnchanged() const;
  // Closes (durably) if still open, refuses a link or non-regular file at target()
  // (RefuseNonRegularFile), and renames the temporary over target(): the publication.
  void Publish();
  // Close(durable), Publish(), and fsync of the folder when durable.
  void Commit(bool durable = true);

 private:
  std::filesystem::path target_, temporary_;
  int fd_ = -1;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  bool published_ = false;
};

// fsync() a regular file's data and metadata.
void SyncFile(const std::filesystem::path& file);
// fsync() a directory, making renames and unlinks in it durable.
void SyncDirectory(const std::filesystem::path& dir);
// Writes `contents` to `file` so that readers see either the old file or the whole new one:
// an AtomicFile, fsync, rename over `file`, fsync of the folder. A link at `file` is an error.
void WriteFileAtomically(const std::filesystem::path& file, const std::string& contents);
// Copies `from` (read, links followed) to `to` the same way (never through a link at `to`).
void CopyFileAtomically(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace florenz

#endif  // FLORENZ_EXPERIMENTS_DURABLE_WRITE_H_
