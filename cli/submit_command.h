// `florenz submit GRID --cluster PROFILE [--out DIR] [--jobs K] [--dry-run]`: turns a grid and
// a site profile into K sbatch scripts (DIR/slurm/job-<k>.sbatch, the runs split by estimated
// cost), submits them with sbatch and records the job ids in DIR/slurm/jobs.txt.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace florenz {

struct SubmitCommand {
  std::string grid;
  std::string cluster;  // the site profile (cluster/profiles/*.yaml)
  std::string out;      // default: results/<experiment name>
  int jobs = 1;
  bool dry_run = false;  // write the scripts, submit nothing
};

CLI::App* AddSubmitCommand(CLI::App& app, SubmitCommand* options);
// 0 when every job was submitted (or written, with --dry-run); 2 for a bad grid, profile or
// flag; 1 when sbatch failed (the jobs submitted before it are recorded).
int RunSubmitCommand(const SubmitCommand& options);

}  // namespace florenz
