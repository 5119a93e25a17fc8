// Tar headers (tar_file.h): 512-byte blocks; a member's contents follow its header, padded to
// a block. Sizes are octal text, or base-256 with the high bit set for sizes of 8 GiB and more.
#include "workers/data/shards/tar_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/errors.h"

namespace florenz::data {
namespace {

constexpr uint64_t kBlock = 512;
// The largest GNU long-name or pax header florenz reads (they hold a path and a few records;
// GNU tar's own are far smaller): a larger one is refused before it is read.
constexpr uint64_t kMaxNameHeaderBytes = uint64_t{1} << 20;

uint64_t Padded(uint64_t size) { return (size + kBlock - 1) / kBlock * kBlock; }

[[noreturn]] void Corrupt(const std::string& path, uint64_t at, const std::string& why) {
  throw ConfigError(SourceLocation{path, 0, 0},
                    "not a readable tar: " + why + " at byte " + std::to_string(at) +
                        " (is the shard cut short or compressed? florenz reads plain .tar)");
}

// The NUL-terminated text of a fixed-width header field.
std::string Field(const char* header, size_t at, size_t width) {
  const char* begin = header + at;
  return std::string(begin, strnlen(begin, width));
}

bool ParseSize(const char* field, size_t width, uint64_t* value) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(field);
  if (bytes[0] & 0x80) {  // base-256 (GNU): big-endian, high bit of the first byte is a flag
    uint64_t v = bytes[0] & 0x7f;
    for (size_t i = 1; i < width; ++i) {
      if (v > (UINT64_MAX >> 8)) return false;
      v = (v << 8) | bytes[i];
    }
    *value = v;
    return true;
  }
  uint64_t v = 0;
  bool digits = false;
  for (size_t i = 0; i < width && field[i] != '\0'; ++i) {
    if (field[i] == ' ') {
      if (digits) break;
      continue;
    }
    if (field[i] < '0' || field[i] > '7') return false;
    v = v * 8 + static_cast<uint64_t>(field[i] - '0');
    digits = true;
  }
  *value = v;
  return digits;
}

bool ChecksumMatches(const char* header) {
  uint64_t stored = 0;
  if (!ParseSize(header + 148, 8, &stored)) return false;
  uint64_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    sum += (i >= 148 && i < 156) ? static_cast<unsigned char>(' ')
                                 : static_cast<unsigned char>(header[i]);
  }
  return sum == stored;
}

// The "path" record of a pax extended header ("<len> path=<value>\n" records), or "".
std::string PaxPath(const std::string& records) {
  size_t at = 0;
  while (at < records.size()) {
    const size_t space = records.find(' ', at);
    if (space == std::string::npos) break;
    const size_t length = std::strtoull(records.c_str() + at, nullptr, 10);
    if (length == 0 || at + length > records.size()) break;
    const std::string record = records.substr(space + 1, at + length - space - 2);
    if (record.rfind("path=", 0) == 0) return record.substr(5);
    at += length;
  }
  return "";
}

class Fd {
 public:
  explicit Fd(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw IoError(path + ": cannot open the shard: " + std::strerror(errno));
  }
  ~Fd() { ::close(fd_); }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads exactly `size` bytes at `offset`; false at the end of the file.
bool ReadAt(int fd, char* out, uint64_t size, uint64_t offset, const std::string& path) {
  uint64_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw IoError(path + ": cannot read the shard: " + std::strerror(errno));
    if (n == 0) return false;
    done += static_cast<uint64_t>(n);
  }
  return true;
}

}  // namespace

std::vector<TarMember> ListTarMembers(const std::string& path) {
  const Fd fd(path);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) throw IoError(path + ": cannot stat the shard");
  const uint64_t file_size = static_cast<uint64_t>(info.st_size);
  std::vector<TarMember> members;
  std::string long_name;  // from a GNU 'L' or pax 'x' header, for the next member
  char header[kBlock];
  for (uint64_t at = 0;;) {
    if (at + kBlock > file_size || !ReadAt(fd.get(), header, kBlock, at, path)) {
      if (at == file_size && !members.empty()) break;  // no end blocks: accepted
      Corrupt(path, at, at == 0 ? "the file is empty" : "the file ends inside a header");
    }
    if (std::all_of(header, header + kBlock, [](char c) { return c == '\0'; })) break;
    if (!ChecksumMatches(header)) Corrupt(path, at, "a header checksum does not match");
    uint64_t size = 0;
    if (!ParseSize(header + 124, 12, &size)) Corrupt(path, at, "a header size is not a number");
    const uint64_t contents = at + kBlock;
    if (size > file_size - contents) {  // not contents + size: a base-256 size can wrap it
      const std::string name = long_name.empty() ? Field(header, 0, 100) : long_name;
      throw ConfigError(SourceLocation{path + ":" + name, 0, 0},
                        "the member runs past the end of the shard (" + std::to_string(size) +
                            " bytes at byte " + std::to_string(contents) + " of a " +
                            std::to_string(file_size) + "-byte file): the shard is cut short");
    }
    const char type = header[156];
    if (type == 'L' || type == 'x') {
      if (size > kMaxNameHeaderBytes) {
        Corrupt(path, at,
                std::string(type == 'L' ? "a GNU long-name" : "a pax") + " header of " +
                    std::to_string(size) + " bytes (florenz reads at most " +
                    std::to_string(kMaxNameHeaderBytes) + ")");
      }
      std::string text(size, '\0');
      ReadAt(fd.get(), text.data(), size, contents, path);
      long_name = type == 'L' ? std::string(text.c_str()) : PaxPath(text);
    } else if (type == '0' || type == '\0' || type == '7') {
      std::string name = long_name;
      if (name.empty()) {
        const std::string prefix = Field(header, 345, 155);
        name = (prefix.empty() ? "" : prefix + "/") + Field(header, 0, 100);
      }
      members.push_back({name, contents, size});
      long_name.clear();
    } else {
      long_name.clear();  // directories, links, pax globals: not samples
    }
    at = contents + Padded(size);
  }
  return members;
}

TarReader::TarReader(const std::string& path)
    : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
  if (fd_ < 0) throw IoError(path + ": cannot open the shard: " + std::strerror(errno));
}

TarReader::~TarReader() {
  if (fd_ >= 0) ::close(fd_);
}

std::string TarReader::Read(uint64_t offset, uint64_t size) const {
  std::string bytes(size, '\0');
  if (!ReadAt(fd_, bytes.data(), size, offset, path_)) {
    throw IoError(path_ + ": the shard ends before byte " + std::to_string(offset + size) +
                  " (it changed since it was indexed?)");
  }
  return bytes;
}

TarWriter::TarWriter(const std::string& path) : path_(path), file_(std::fopen(path.c_str(), "wb")) {
  if (file_ == nullptr) throw IoError(path + ": cannot create the shard: " + std::strerror(errno));
}

TarWriter::~TarWriter() {
  try {
    Close();
  } catch (...) {
  }
}

void TarWriter::Write(const char* data, size_t size) {
  if (std::fwrite(data, 1, size, file_) != size) {
    throw IoError(path_ + ": cannot write the shard: " + std::strerror(errno));
  }
}

void TarWriter::WriteHeader(const std::string& name, const std::string& prefix, uint64_t size,
                            char type) {
  char header[kBlock] = {};
  std::memcpy(header, name.data(), std::min<size_t>(name.size(), 100));
  std::snprintf(header + 100, 8, "%07o", 0644);
  std::snprintf(header + 108, 8, "%07o", 0);
  std::snprintf(header + 116, 8, "%07o", 0);
  std::snprintf(header + 124, 12, "%011llo", static_cast<unsigned long long>(size));
  std::snprintf(header + 136, 12, "%011o", 0);
  header[156] = type;
  std::memcpy(header + 257, "ustar", 6);  // with its NUL
  std::memcpy(header + 263, "00", 2);
  std::memcpy(header + 345, prefix.data(), std::min<size_t>(prefix.size(), 155));
  std::memset(header + 148, ' ', 8);
  unsigned sum = 0;
  for (const char c : header) sum += static_cast<unsigned char>(c);
  std::snprintf(header + 148, 8, "%06o", sum);  // six digits, NUL, and the space kept
  header[155] = ' ';
  Write(header, kBlock);
}

void TarWriter::WriteContents(const std::string& contents) {
  Write(contents.data(), contents.size());
  const char zeros[kBlock] = {};
  Write(zeros, Padded(contents.size()) - contents.size());
}

void TarWriter::Add(const std::string& name, const std::string& contents) {
  if (contents.size() >= (uint64_t{1} << 33)) {
    throw ConfigError(SourceLocation{path_ + ":" + name, 0, 0}, "a member of 8 GiB or more");
  }
  std::string prefix, base = name;
  if (name.size() > 100) {  // ustar: prefix (≤ 155) + '/' + name (≤ 100)
    const size_t slash = name.rfind('/', 155);
    if (slash != std::string::npos && name.size() - slash - 1 <= 100) {
      prefix = name.substr(0, slash);
      base = name.substr(slash + 1);
    } else {  // a GNU long-name header first (GNU tar, Python's tarfile and florenz read it)
      WriteHeader("././@LongLink", "", name.size() + 1, 'L');
      WriteContents(name + '\0');
    }
  }
  WriteHeader(base, prefix, contents.size(), '0');
  WriteContents(contents);
}

void TarWriter::Close() {
  if (file_ == nullptr) return;
  const char zeros[2 * kBlock] = {};
  std::FILE* file = file_;
  file_ = nullptr;
  const bool written = std::fwrite(zeros, 1, sizeof(zeros), file) == sizeof(zeros);
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) throw IoError(path_ + ": cannot finish the shard");
}

}  // namespace florenz::data
