// The one gate every PLplot drawing passes before plinit: the output file must be writable
// (checked by creating it, so a missing folder is a clear error, not PLplot's), and PLplot's
// fatal errors become exceptions instead of "*** PLPLOT ERROR, IMMEDIATE EXIT ***" and exit().
#pragma once

#include <string>

namespace florenz {

// Throws IoError ("FILE: cannot write the plot: <OS error>") when `file` cannot be created,
// and installs (once) the PLplot exit handler that throws IoError with PLplot's message.
void PreparePlotOutput(const std::string& file);

}  // namespace florenz
