// `florenz status DIR` (status_command.h): the table of orchestrator/job_status.h, then the
// Slurm jobs `florenz submit` recorded.
#include "cli/status_command.h"

#include <chrono>
#include <iostream>

#include "cluster/slurm_jobs.h"
#include "core/errors.h"
#include "core/exit_codes.h"

namespace florenz {

CLI::App* AddStatusCommand(CLI::App& app, StatusCommand* options) {
  CLI::App* command = app.add_subcommand(
      "status",
      "Show every run of a results folder — finished, running, interrupted, failed or "
      "queued — with progress, latest loss, samples/s and ETA, from the files alone. Reads "
      "only; safe while a job writes the folder.");
  command->add_option("dir", options->dir, "Results folder (florenz run --out DIR)")->required();
  command
      ->add_option("--stale-after", options->options.stale_after_seconds,
                   "Seconds without a new snapshot after which a run in progress counts as "
                   "interrupted (at least 3 x its logging interval)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  return command;
}

int RunStatusCommand(const StatusCommand& options) {
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::cout << StatusText(ReadStatus(options.dir, options.options, now));
  try {  // the Slurm jobs `florenz submit` recorded, if any (cluster/slurm_jobs.h)
    std::cout << cluster::SlurmStatusReport(options.dir);
  } catch (const IoError& e) {
    std::cout << "Slurm jobs: " << e.what() << "\n";
  }
  return kExitOk;
}

}  // namespace florenz
