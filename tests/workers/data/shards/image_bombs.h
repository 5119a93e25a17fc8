// Decompression bombs for the decoding tests: a real, tiny JPEG or PNG whose header claims an
// image of width × height pixels (up to 65,500 per side for JPEG), and the peak memory of a
// child process that decodes one, so that a test can bound what any single sample costs.
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <string>

#include "workers/data/shards/image_decode.h"

namespace florenz::testing {

// A 16 × 16 baseline JPEG with the size in its SOF0 header set to width × height; its body
// still holds 16 × 16 pixels' data.
inline std::string JpegBomb(int width, int height) {
  data::RgbImage image;
  image.width = image.height = 16;
  image.pixels.assign(16 * 16 * 3, 128);
  std::string bytes = data::EncodeJpeg(image, 90);
  const size_t sof = bytes.find("\xff\xc0", 0, 2);
  if (sof == std::string::npos) return "";
  bytes[sof + 5] = static_cast<char>(height >> 8);
  bytes[sof + 6] = static_cast<char>(height & 0xff);
  bytes[sof + 7] = static_cast<char>(width >> 8);
  bytes[sof + 8] = static_cast<char>(width & 0xff);
  return bytes;
}

// A PNG whose IHDR says width × height 8-bit RGB, followed by one IDAT of a few bytes and IEND.
inline std::string PngBomb(uint32_t width, uint32_t height) {
  const auto crc32 = [](const std::string& bytes) {
    uint32_t crc = 0xffffffffu;
    for (const char c : bytes) {
      crc ^= static_cast<unsigned char>(c);
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xffffffffu;
  };
  const auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  const auto chunk = [&](const std::string& type, const std::string& payload) {
    return be32(static_cast<uint32_t>(payload.size())) + type + payload +
           be32(crc32(type + payload));
  };
  const std::string ihdr = be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5);
  // A zlib stream of one stored block: the first bytes of the first row, and no more.
  const std::string idat("\x78\x01\x00\x04\x00\xfb\xff\x00\x00\x00\x00", 11);
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", idat) +
         chunk("IEND", "");
}

// Runs `work` in a forked child whose address space is capped at its size at the fork plus
// `headroom_bytes` (so that a decoder that tries to allocate gigabytes fails there, not on the
// machine); returns the child's exit status (or -1 when it did not exit) and its peak resident
// memory in bytes (getrusage's ru_maxrss of the child, through wait4).
inline int RunInChild(const std::function<int()>& work, uint64_t headroom_bytes,
                      int64_t* peak_bytes) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    uint64_t pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    const rlim_t cap = pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) + headroom_bytes;
    const rlimit limit{cap, cap};
    ::setrlimit(RLIMIT_AS, &limit);
    int code = 99;
    try {
      code = work();
    } catch (...) {
      code = 98;
    }
    ::_exit(code);
  }
  int status = 0;
  rusage usage{};
  if (pid < 0 || ::wait4(pid, &status, 0, &usage) != pid) return -1;
  *peak_bytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace florenz::testing
