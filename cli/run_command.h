// `florenz run GRID --out DIR`: trains every run of the grid. In one process (no mpirun) the
// runs go one after another — the embedded default; finished runs are skipped, so running
// the same command again resumes (interrupted runs continue from their checkpoints).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace florenz {

struct RunCommand {
  std::string grid;
  std::string out;
  std::string only;         // run ids (id1,id2,...)
  bool only_given = false;  // --only was on the command line (an empty list is an error)
  int threads = 0;          // 0 = the grid's execution.threads, else the cores this process may use
  std::string device;       // auto | cpu | cuda; "" = the grid's execution.device
  bool retry_failed = false;  // runs recorded as failed are trained again
  std::string retrain;        // run ids (id1,id2,...) trained again from scratch
  bool retrain_given = false;
};

CLI::App* AddRunCommand(CLI::App& app, RunCommand* options);
// 0 when every run completed; kExitRunsFailed when some failed (they are listed).
int RunRunCommand(const RunCommand& options);

}  // namespace florenz
