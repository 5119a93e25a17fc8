// The Slurm jobs of a results folder: `florenz submit` records each job it submits in
// OUT/slurm/jobs.txt, and `florenz status` asks squeue (then sacct, for jobs squeue has
// forgotten) what became of them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cluster/program.h"

namespace florenz::cluster {

// One line of OUT/slurm/jobs.txt: "<job id> <k> <script>", one per submitted job, appended by
// every `florenz submit` (so a folder submitted twice lists both rounds).
struct JobRecord {
  std::string job_id;  // as sbatch --parsable printed it (digits)
  int index = 0;       // k of job-<k>.sbatch
  std::string script;  // the script's path
};

std::filesystem::path JobsFile(const std::filesystem::path& out);
// Every record of OUT/slurm/jobs.txt; empty when there is none. Throws IoError on a line
// that is not a record (naming FILE:LINE).
std::vector<JobRecord> ReadJobsFile(const std::filesystem::path& out);
// Appends `records` to OUT/slurm/jobs.txt (created with a header line), fsync'd.
void AppendJobsFile(const std::filesystem::path& out, const std::vector<JobRecord>& records);

struct JobState {
  std::string job_id;
  std::string state;   // PENDING, RUNNING, COMPLETED, TIMEOUT, … ("UNKNOWN" when nobody knew)
  std::string reason;  // squeue's reason for a pending job, else ""
  std::string source;  // "squeue", "sacct", or "" when neither answered
  std::string note;    // why the state is unknown (the tools' own message)
};

// squeue -h -o '%i|%T|%r' output -> states (lines that do not parse are skipped).
std::vector<JobState> ParseSqueue(const std::string& text);
// sacct -n -P -X -o JobID,State output -> states ("CANCELLED by 0" becomes CANCELLED).
std::vector<JobState> ParseSacct(const std::string& text);

// The state of each job, in the order given: squeue first, then sacct for the jobs squeue
// does not list. Never throws for a tool that is missing or fails: those jobs are UNKNOWN
// with the tool's message in `note`.
std::vector<JobState> QueryJobStates(const std::vector<JobRecord>& jobs,
                                     const ProgramRunner& run = RunProgram);

// The Slurm part of `florenz status OUT`: one line per recorded job ("job 2 (id 1234):
// RUNNING"), or "" when OUT/slurm/jobs.txt does not exist.
std::string SlurmStatusReport(const std::filesystem::path& out,
                              const ProgramRunner& run = RunProgram);

}  // namespace florenz::cluster
