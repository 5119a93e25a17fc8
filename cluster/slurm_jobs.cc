// jobs.txt reading and writing, and the squeue / sacct queries (see slurm_jobs.h).
#include "cluster/slurm_jobs.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include "core/errors.h"
#include "core/strings.h"
#include "experiments/results_dir.h"

namespace florenz::cluster {
namespace {

bool IsJobId(const std::string& text) {
  // Plain ids, and array or het-job ids (1234_7, 1234+1) as squeue may print them.
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '+';
  });
}

// The first line of a tool's message, prefixed with the tool's name unless it says it itself.
std::string Note(const std::string& tool, const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.empty()) line = "no message";
  return line.rfind(tool, 0) == 0 ? line : tool + ": " + line;
}

}  // namespace

std::filesystem::path JobsFile(const std::filesystem::path& out) {
  return ResultsDir(out).SlurmDir() / "jobs.txt";
}

std::vector<JobRecord> ReadJobsFile(const std::filesystem::path& out) {
  const auto file = JobsFile(out);
  std::vector<JobRecord> records;
  std::ifstream in(file);
  if (!in) return records;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    JobRecord record;
    if (!(fields >> record.job_id >> record.index >> record.script) || !IsJobId(record.job_id)) {
      throw IoError(file.string() + ":" + std::to_string(number) +
                    ": expected '<job id> <k> <script>', got '" + line + "'");
    }
    records.push_back(record);
  }
  return records;
}

void AppendJobsFile(const std::filesystem::path& out, const std::vector<JobRecord>& records) {
  const auto file = JobsFile(out);
  std::filesystem::create_directories(file.parent_path());
  const bool fresh = !std::filesystem::exists(file);
  {
    std::ofstream stream(file, std::ios::app);
    if (fresh) stream << "# Slurm jobs submitted by `florenz submit`: job id, k, script\n";
    for (const auto& r : records) stream << r.job_id << " " << r.index << " " << r.script << "\n";
    if (!stream) throw IoError(file.string() + ": cannot write");
  }
  SyncFile(file);
}

std::vector<JobState> ParseSqueue(const std::string& text) {
  std::vector<JobState> states;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto fields = Split(line, '|');
    if (fields.size() < 2 || !IsJobId(fields[0]) || fields[1].empty()) continue;
    JobState state{fields[0], fields[1], "", "squeue", ""};
    if (fields.size() > 2 && fields[2] != "None") state.reason = fields[2];
    states.push_back(state);
  }
  return states;
}

std::vector<JobState> ParseSacct(const std::string& text) {
  std::vector<JobState> states;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto fields = Split(line, '|');
    if (fields.size() < 2 || !IsJobId(fields[0]) || fields[1].empty()) continue;
    std::string state = fields[1].substr(0, fields[1].find(' '));  // "CANCELLED by 0"
    states.push_back(JobState{fields[0], state, "", "sacct", ""});
  }
  return states;
}

std::vector<JobState> QueryJobStates(const std::vector<JobRecord>& jobs, const ProgramRunner& run) {
  std::map<std::string, JobState> known;
  std::string squeue_note, sacct_note;
  // One squeue per job: squeue -j with an id it has forgotten fails for the whole list.
  // -t all: finished jobs too, for as long as Slurm keeps them (MinJobAge).
  for (const auto& job : jobs) {
    if (known.count(job.job_id) > 0) continue;
    const ProgramResult r = run({"squeue", "-h", "-t", "all", "-j", job.job_id, "-o", "%i|%T|%r"});
    if (r.exit_code == 0) {
      for (const auto& s : ParseSqueue(r.out)) {
        if (s.job_id == job.job_id) known[s.job_id] = s;
      }
    } else if (squeue_note.empty() &&
               (!r.started || r.err.find("Invalid job id") == std::string::npos)) {
      squeue_note = Note("squeue", r.err);  // a forgotten job is no news; this is
    }
  }
  std::string missing;
  for (const auto& job : jobs) {
    if (known.count(job.job_id) == 0) missing += (missing.empty() ? "" : ",") + job.job_id;
  }
  if (!missing.empty()) {
    const ProgramResult r = run({"sacct", "-n", "-P", "-X", "-j", missing, "-o", "JobID,State"});
    if (r.exit_code == 0) {
      for (const auto& s : ParseSacct(r.out)) known.emplace(s.job_id, s);
    } else {
      sacct_note = Note("sacct", r.err);
    }
  }
  std::vector<JobState> states;
  for (const auto& job : jobs) {
    auto it = known.find(job.job_id);
    if (it != known.end()) {
      states.push_back(it->second);
      continue;
    }
    std::string note = squeue_note.empty() ? "not in squeue" : squeue_note;
    if (!sacct_note.empty()) note += "; " + sacct_note;
    states.push_back(JobState{job.job_id, "UNKNOWN", "", "", note});
  }
  return states;
}

std::string SlurmStatusReport(const std::filesystem::path& out, const ProgramRunner& run) {
  const auto jobs = ReadJobsFile(out);
  if (jobs.empty()) return "";
  const auto states = QueryJobStates(jobs, run);
  std::ostringstream report;
  report << "Slurm jobs (" << JobsFile(out).string() << "):\n";
  for (size_t i = 0; i < jobs.size(); ++i) {
    const JobState& s = states[i];
    report << "  job " << jobs[i].index << " (id " << jobs[i].job_id << "): " << s.state;
    if (!s.reason.empty()) report << " (" << s.reason << ")";
    if (!s.note.empty()) report << " — " << s.note;
    report << "\n";
  }
  return report.str();
}

}  // namespace florenz::cluster
