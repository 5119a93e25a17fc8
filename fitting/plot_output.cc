// PreparePlotOutput and PublishPlotOutput (see plot_output.h). PLplot's plexit() calls the handler
// before it would exit(); the handler throws, which unwinds through PLplot's C frames (built with
// unwind tables, as Debian's are on x86-64) back to the caller of the drawing.
#include "fitting/plot_output.h"

#include <plplot/plplot.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <mutex>

#include "core/errors.h"

namespace florenz {
namespace {

int ThrowOnPlplotExit(PLCHAR_VECTOR message) {
  throw IoError(std::string("PLplot: ") + (message != nullptr ? message : "fatal error"));
}

}  // namespace

AtomicFile PreparePlotOutput(const std::string& file) {
  static std::once_flag once;
  std::call_once(once, [] { plsexit(ThrowOnPlplotExit); });
  try {
    return AtomicFile(file);
  } catch (const IoError& e) {
    // AtomicFile names its temporary; the user gave `file`.
    const std::string what = e.what();
    const size_t colon = what.rfind(": ");
    throw IoError(file + ": cannot write the plot" +
                  (colon == std::string::npos ? std::string() : what.substr(colon)));
  }
}

std::string IncompleteFigure(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  const std::streamoff size = in ? static_cast<std::streamoff>(in.tellg()) : 0;
  if (size <= 0) return "empty";
  const std::streamoff tail_size = std::min<std::streamoff>(size, 64);
  std::string tail(static_cast<size_t>(tail_size), '\0');
  in.seekg(size - tail_size);
  in.read(tail.data(), tail_size);
  // Which format by its first bytes, not the name: PLplot writes a temporary ending in ".tmp".
  std::string head(8, '\0');
  in.clear();
  in.seekg(0);
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  if (head.compare(0, 4, "\x89PNG") != 0) {  // an SVG
    const size_t end = tail.find_last_not_of(" \t\r\n");
    return end != std::string::npos && end >= 5 && tail.compare(end - 5, 6, "</svg>") == 0
               ? ""
               : "cut short";
  }
  // A PNG ends with its IEND chunk: length 0, "IEND", CRC ae 42 60 82.
  static const std::string kIend("\0\0\0\0IEND\xae\x42\x60\x82", 12);
  return tail.size() >= kIend.size() && tail.compare(tail.size() - 12, 12, kIend) == 0
             ? ""
             : "cut short";
}

void PublishPlotOutput(AtomicFile& out) {
  // PLplot opened the temporary by name; it must still be the file florenz created.
  out.CheckUnchanged();
  const std::string problem = IncompleteFigure(out.temporary());
  if (!problem.empty()) {
    const std::filesystem::path folder = out.temporary().parent_path();
    struct statvfs disk {};
    if (::statvfs(folder.c_str(), &disk) == 0 &&
        static_cast<uint64_t>(disk.f_bavail) * disk.f_frsize < (uint64_t{1} << 20)) {
      throw IoError(out.target().string() + ": the figure could not be written: no space left " +
                    "on the disk of " + folder.string());
    }
    throw IoError(out.target().string() +
                  (problem == "empty"
                       ? ": PLplot wrote no figure (is plplot-driver-cairo installed?)"
                       : ": PLplot wrote a figure cut short (a write error?)"));
  }
  out.Commit();
}

}  // namespace florenz
