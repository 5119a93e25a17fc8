// The one gate every PLplot drawing passes before plinit: the figure is drawn into a fresh,
// uniquely named temporary created by florenz (O_EXCL | O_NOFOLLOW, so a missing folder is a
// clear error, not PLplot's, and a planted link is never written through) and published by
// rename once complete; PLplot's fatal errors become exceptions instead of exit().
#pragma once

#include <string>

#include "experiments/durable_write.h"

namespace florenz {

// Creates the temporary PLplot is to write for `file` (hand PLplot out.temporary()), and
// installs (once) the PLplot exit handler that throws IoError with PLplot's message. Throws
// IoError ("FILE: cannot write the plot: <OS error>") when it cannot be created.
AtomicFile PreparePlotOutput(const std::string& file);

// After PLplot closed the file: checks that it wrote a figure into the very file florenz
// created, and renames it over `out.target()` (never through a link there). IoError otherwise;
// the temporary is removed with `out`.
void PublishPlotOutput(AtomicFile& out);

}  // namespace florenz
