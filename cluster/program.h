// Running a command-line tool (sbatch, squeue, sacct, scontrol) without a shell: the arguments
// go to the program as they are, so no value is ever parsed by a shell on the way.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace florenz::cluster {

struct ProgramResult {
  bool started = false;  // false when the program was not found or could not be run
  int exit_code = -1;    // the exit status; 128 + N when killed by signal N
  std::string out;       // everything it wrote to stdout
  std::string err;       // and to stderr
};

// Runs argv[0] (looked up on PATH) with `argv`, waits for it, and captures both streams.
ProgramResult RunProgram(const std::vector<std::string>& argv);

// How the cluster functions run programs; tests pass a fake.
using ProgramRunner = std::function<ProgramResult(const std::vector<std::string>&)>;

}  // namespace florenz::cluster
