// `florenz status DIR`: prints the status table of orchestrator/job_status.h.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "orchestrator/job_status.h"

namespace florenz {

struct StatusCommand {
  std::string dir;
  StatusOptions options;
};

CLI::App* AddStatusCommand(CLI::App& app, StatusCommand* options);
// 0; 1 when DIR is not a results folder.
int RunStatusCommand(const StatusCommand& options);

}  // namespace florenz
