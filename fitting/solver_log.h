// Ceres logs through glog: its line search writes a warning to stderr for every degenerate
// interpolation step it recovers from, although the fit reports failures through its summary.
// The fitting library leaves glog as its caller set it; a command-line tool that wants a clean
// terminal (`florenz fit`, `florenz report`) calls HideSolverWarnings once.
#pragma once

namespace florenz {

// Shows glog messages of severity ERROR and above only (for the whole process).
void HideSolverWarnings();

}  // namespace florenz
