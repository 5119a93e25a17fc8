// `florenz submit` (see submit_command.h). The checks that can fail run before anything is
// written; the folder's experiment.yaml is written now, so submitting a grid into a folder of
// another experiment fails here and not in the job.
#include "cli/submit_command.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cluster/job_split.h"
#include "cluster/program.h"
#include "cluster/sbatch_script.h"
#include "cluster/site_profile.h"
#include "cluster/slurm_jobs.h"
#include "core/errors.h"
#include "core/exit_codes.h"
#include "experiments/grid_loader.h"
#include "experiments/results_dir.h"
#include "experiments/spec_writer.h"
#include "workers/data/shards/corpus_check.h"

namespace florenz {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string FlorenzBinary(const cluster::SiteProfile& profile) {
  if (!profile.florenz.empty()) return profile.florenz;
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (error)
    throw IoError(
        "cannot find this florenz binary (/proc/self/exe); set `florenz:` in the profile");
  return self.string();
}

}  // namespace

CLI::App* AddSubmitCommand(CLI::App& app, SubmitCommand* options) {
  CLI::App* command = app.add_subcommand(
      "submit",
      "Submit a grid to Slurm: one sbatch script per job under DIR/slurm/ (--requeue, "
      "--signal=B:USR2@<warning_lead>; florenz checkpoints on the warning and the job requeues "
      "itself), job ids in DIR/slurm/jobs.txt. docs/cluster.md.");
  command->add_option("grid", options->grid, "Grid YAML file")->required();
  command->add_option("--cluster", options->cluster, "Site profile (cluster/profiles/*.yaml)")
      ->required();
  command->add_option("--out", options->out, "Results folder (default: results/<experiment>)");
  command->add_option("--jobs", options->jobs, "Split the grid into K jobs of about equal cost")
      ->check(CLI::Range(1, 100000));
  command->add_flag("--dry-run", options->dry_run, "Write the scripts, submit nothing");
  return command;
}

int RunSubmitCommand(const SubmitCommand& options) {
  const LoadedGrid grid = LoadGrid(options.grid, data::CheckGridData);
  const cluster::SiteProfile profile = cluster::LoadSiteProfile(options.cluster);
  const auto shares = cluster::SplitByCost(grid.runs, options.jobs, "--jobs");

  const fs::path out =
      fs::absolute(options.out.empty() ? "results/" + grid.spec.experiment.name : options.out)
          .lexically_normal();
  std::string out_text = out.string();
  if (out_text.size() > 1 && out_text.back() == '/') out_text.pop_back();
  const fs::path slurm_dir = ResultsDir(out).SlurmDir();
  const fs::path grid_copy = slurm_dir / "grid.yaml";
  const std::string florenz = FlorenzBinary(profile);

  // Render every script before writing anything: a value that cannot be carried stops here.
  std::vector<std::string> scripts;
  for (size_t k = 0; k < shares.size(); ++k) {
    cluster::SbatchJob job;
    job.index = static_cast<int>(k + 1);
    job.count = static_cast<int>(shares.size());
    job.experiment = grid.spec.experiment.name;
    for (const RunSpec* run : shares[k].runs) job.run_ids.push_back(run->id);
    job.florenz = florenz;
    job.grid = grid_copy.string();
    job.out = out_text;
    try {
      scripts.push_back(cluster::RenderSbatchScript(profile, job));
    } catch (const ConfigError& e) {
      std::vector<std::string> messages;
      for (const auto& m : e.messages()) messages.push_back("--out/--cluster: " + m);
      throw ConfigError(messages);
    }
  }

  ResultsDir results(out);
  results.Create();
  results.WriteExperimentYaml(SpecToYaml(grid.spec));
  fs::create_directories(slurm_dir);
  // The jobs run a copy of the grid: editing the original later changes nothing they do.
  WriteFileAtomically(grid_copy, ReadText(options.grid));
  std::vector<fs::path> paths;
  for (size_t k = 0; k < scripts.size(); ++k) {
    paths.push_back(slurm_dir / ("job-" + std::to_string(k + 1) + ".sbatch"));
    WriteFileAtomically(paths.back(), scripts[k]);
  }

  std::cout << "florenz submit: " << grid.runs.size() << " runs of '" << grid.spec.experiment.name
            << "' in " << shares.size() << (shares.size() == 1 ? " job" : " jobs") << " (profile '"
            << profile.name << "') -> " << out_text << "\n";
  std::vector<cluster::JobRecord> submitted;
  std::string failure;
  for (size_t k = 0; k < shares.size(); ++k) {
    char flops[32];
    std::snprintf(flops, sizeof(flops), "%.3g", shares[k].flops);
    std::cout << "  job " << k + 1 << ": " << shares[k].runs.size() << " runs, " << flops
              << " training FLOPs, " << paths[k].string();
    if (options.dry_run || !failure.empty()) {
      std::cout << (options.dry_run ? "" : " (not submitted)") << "\n";
      continue;
    }
    const cluster::ProgramResult r = cluster::RunProgram({"sbatch", "--parsable", paths[k]});
    const std::string job_id = r.out.substr(0, r.out.find_first_of(";\n"));
    if (r.exit_code != 0 || job_id.empty() ||
        job_id.find_first_not_of("0123456789") != std::string::npos) {
      failure = "sbatch " + paths[k].string() +
                " failed: " + (r.err.empty() ? r.out : r.err.substr(0, r.err.find('\n')));
      std::cout << " (sbatch failed)\n";
      continue;
    }
    std::cout << " -> job " << job_id << "\n";
    submitted.push_back({job_id, static_cast<int>(k + 1), paths[k].string()});
  }
  if (!submitted.empty()) cluster::AppendJobsFile(out, submitted);
  if (options.dry_run) {
    std::cout << "dry run: nothing submitted (sbatch " << (slurm_dir / "job-1.sbatch").string()
              << " submits job 1)\n";
    return kExitOk;
  }
  if (!submitted.empty()) {
    std::cout << "job ids: " << cluster::JobsFile(out).string()
              << "; follow them with `florenz status " << out_text << "`\n";
  }
  if (!failure.empty()) throw IoError(failure);
  return kExitOk;
}

}  // namespace florenz
