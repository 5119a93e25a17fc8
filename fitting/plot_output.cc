// PreparePlotOutput and PublishPlotOutput (see plot_output.h). PLplot's plexit() calls the handler
// before it would exit(); the handler throws, which unwinds through PLplot's C frames (built with
// unwind tables, as Debian's are on x86-64) back to the caller of the drawing.
#include "fitting/plot_output.h"

#include <plplot/plplot.h>
#include <sys/stat.h>

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

void PublishPlotOutput(AtomicFile& out) {
  // PLplot opened the temporary by name; it must still be the file florenz created.
  out.CheckUnchanged();
  struct stat st;
  if (::stat(out.temporary().c_str(), &st) != 0 || st.st_size == 0) {
    throw IoError(out.target().string() +
                  ": PLplot wrote no figure (is plplot-driver-cairo installed? is the disk "
                  "full?)");
  }
  out.Commit();
}

}  // namespace florenz
