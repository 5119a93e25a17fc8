// Rendering one batch job of a grid as an sbatch script: #SBATCH lines from the site profile,
// requeue on Slurm's time-limit warning, and the launcher line(s) running `florenz run --only`:
// with one task, a loop over the runs of the job's share, one step each; with more tasks
// (nodes × tasks_per_node > 1), one step for the whole share (`--only id1,id2,...`), whose
// rank 0 coordinates and whose other ranks train the runs in gangs. Pure text in, text out, so it
// is tested without Slurm; every value is checked against a character set (#SBATCH lines) or
// shell-quoted (the script body).
#pragma once

#include <string>
#include <vector>

#include "cluster/site_profile.h"
#include "core/exit_codes.h"

namespace florenz::cluster {

struct SbatchJob {
  int index = 1;                     // k of job-<k>.sbatch, 1-based
  int count = 1;                     // K, the number of jobs of the grid
  std::string experiment;            // experiment.name: the job is florenz-<experiment>-<k>
  std::vector<std::string> run_ids;  // this job's share, in the order they run
  std::string florenz;               // absolute path of the florenz binary on the nodes
  std::string grid;                  // absolute path of the grid file the job runs
  std::string out;                   // absolute results folder; logs go to out/slurm/
};

// The script's text. Throws ConfigError naming the value and why it cannot be carried (a
// results folder with a space cannot appear on an #SBATCH line, a run id with a quote, …), or
// why a profile of several tasks cannot start them as one MPI job (launcher `none`, or srun
// with `mpi: none`).
std::string RenderSbatchScript(const SiteProfile& profile, const SbatchJob& job);

// "D-HH:MM:SS" or "H:MM:SS", as --time takes it.
std::string SlurmTime(int64_t seconds);

}  // namespace florenz::cluster
