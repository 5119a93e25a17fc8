// PreparePlotOutput (see plot_output.h). PLplot's plexit() calls the handler before it would
// exit(); the handler throws, which unwinds through PLplot's C frames (built with unwind
// tables, as Debian's are on x86-64) back to the caller of the drawing.
#include "fitting/plot_output.h"

#include <fcntl.h>
#include <plplot/plplot.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "core/errors.h"

namespace florenz {
namespace {

int ThrowOnPlplotExit(PLCHAR_VECTOR message) {
  throw IoError(std::string("PLplot: ") + (message != nullptr ? message : "fatal error"));
}

}  // namespace

void PreparePlotOutput(const std::string& file) {
  static std::once_flag once;
  std::call_once(once, [] { plsexit(ThrowOnPlplotExit); });
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(file + ": cannot write the plot: " + std::strerror(errno));
  ::close(fd);
}

}  // namespace florenz
