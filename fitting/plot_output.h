// The one gate every PLplot drawing passes before plinit: the figure is drawn into a fresh,
// uniquely named temporary created by florenz (O_EXCL | O_NOFOLLOW, so a missing folder is a
// clear error, not PLplot's, and a planted link is never written through) and published by
// rename once complete; PLplot's fatal errors become exceptions instead of exit().
#pragma once

#include <filesystem>
#include <string>

#include "experiments/durable_write.h"

namespace florenz {

// Creates the temporary PLplot is to write for `file` (hand PLplot out.temporary()), and
// installs (once) the PLplot exit handler that throws IoError with PLplot's message. Throws
// IoError ("FILE: cannot write the plot: <OS error>") when it cannot be created.
AtomicFile PreparePlotOutput(const std::string& file);

// After PLplot closed the file: checks that it wrote a whole figure into the very file florenz
// created, and renames it over `out.target()` (never through a link there). IoError otherwise,
// saying why: the disk is full (less than 1 MiB left where the figure goes), PLplot wrote
// nothing (its cairo driver missing), or the figure was cut short; the temporary is removed with
// `out`, so no empty or truncated figure is ever left.
void PublishPlotOutput(AtomicFile& out);

// Why `file` is not a whole figure, or "" when it is: "empty", or "cut short" for a PNG that
// does not end with its IEND chunk or an SVG that does not end with </svg> (the format read from
// the first bytes: PLplot writes a temporary whose name ends in ".tmp").
std::string IncompleteFigure(const std::filesystem::path& file);

}  // namespace florenz
