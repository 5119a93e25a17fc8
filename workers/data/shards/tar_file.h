// Plain (uncompressed) tar files as WebDataset shards are: the members of a shard with their
// byte offsets, read back by random access, and a writer for `florenz data export`. Reads
// POSIX ustar and GNU tar, with GNU long names ('L') and pax path records ('x'), which is what
// GNU tar, Python's tarfile and webdataset's ShardWriter produce.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace florenz::data {

// A regular file inside a tar: its name and where its bytes lie.
struct TarMember {
  std::string name;
  uint64_t offset = 0;  // of the first byte of the contents, from the start of the file
  uint64_t size = 0;
};

// The regular-file members of the tar at `path`, in file order (directories, links and pax
// global headers are skipped). Throws IoError when the file cannot be read, ConfigError
// "SHARD: …" for a header whose checksum is wrong, a size that is not a number, a member whose
// declared size runs past the end of the file (a shard cut short; checked before anything is
// read), or a long-name or pax header of more than 1 MiB. Member contents are never read here
// except those headers'.
std::vector<TarMember> ListTarMembers(const std::string& path);

// Reads members of one tar file by offset (pread: safe from several threads).
class TarReader {
 public:
  // Throws IoError when `path` cannot be opened.
  explicit TarReader(const std::string& path);
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  const std::string& path() const { return path_; }
  // The `size` bytes at `offset`. Throws IoError naming the shard when fewer can be read.
  std::string Read(uint64_t offset, uint64_t size) const;

 private:
  std::string path_;
  int fd_ = -1;
};

// Writes a ustar file member by member, deterministically (mode 0644, owner 0, mtime 0), so the
// same members give the same bytes. A name ustar cannot hold (over 100 bytes that no '/' splits
// into a 155-byte prefix and a 100-byte name) gets a GNU long-name header before it.
class TarWriter {
 public:
  // Creates (truncates) `path`. Throws IoError when it cannot be created.
  explicit TarWriter(const std::string& path);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  // Appends a regular file. Throws ConfigError for contents of 8 GiB or more, IoError when the
  // disk refuses.
  void Add(const std::string& name, const std::string& contents);
  // Writes the two zero blocks that end a tar and closes the file (also done by the
  // destructor, which cannot report errors).
  void Close();

 private:
  void Write(const char* data, size_t size);
  void WriteHeader(const std::string& name, const std::string& prefix, uint64_t size, char type);
  void WriteContents(const std::string& contents);
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace florenz::data
