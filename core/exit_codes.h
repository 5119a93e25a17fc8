// Exit codes of the `florenz` command, defined once: the CLI returns them, the sbatch scripts of
// cluster/ compare against them. Documented in README.md and `florenz --help`.
#pragma once

namespace florenz {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,     // something went wrong that is not the user's input (I/O, a crash)
  kExitBadInput = 2,    // bad grid, profile, flag or path: the message says FILE:LINE:COLUMN
  kExitRunsFailed = 3,  // `florenz run`: the grid finished but some runs failed (listed)
  kExitRequeue = 4,     // `florenz run`: SIGTERM/SIGUSR2 stopped it after a checkpoint (resume)
};

}  // namespace florenz
