// `florenz run`, serial embedded mode (see run_command.h). The run boundary is here: an
// exception inside a run is retried from its checkpoint up to execution.retries times, then
// the run is recorded as failed with its reason and the grid goes on. SIGTERM or SIGUSR2
// (workers/train/stop_request.h) stops the grid instead: the run checkpoints, is not counted
// as failed, and the command exits kExitRequeue so a batch job can requeue itself.
#include "orchestrator/run_command.h"

#include <cstdio>
#include <iostream>

#include "experiments/errors.h"
#include "experiments/grid_loader.h"
#include "experiments/results_dir.h"
#include "experiments/spec_writer.h"
#include "orchestrator/exit_codes.h"
#include "orchestrator/run_table.h"
#include "workers/data/data_check.h"
#include "workers/data/data_generator.h"
#include "workers/train/stop_request.h"
#include "workers/train/thread_count.h"
#include "workers/train/trainer.h"

namespace florenz {
namespace {

std::string Eta(double seconds) {
  char buffer[32];
  const int s = static_cast<int>(seconds + 0.5);
  std::snprintf(buffer, sizeof(buffer), "%d:%02d", s / 60, s % 60);
  return buffer;
}

}  // namespace

CLI::App* AddRunCommand(CLI::App& app, RunCommand* options) {
  CLI::App* command = app.add_subcommand(
      "run",
      "Train every run of a grid into a results folder. Without mpirun the runs go one after "
      "another in this process. Finished runs are skipped: the same command again resumes. "
      "Exit code 3 when some runs failed (after execution.retries); 4 when SIGTERM or SIGUSR2 "
      "stopped it after a checkpoint (run it again to resume).");
  command->add_option("grid", options->grid, "Grid YAML file")->required();
  command->add_option("--out", options->out, "Results folder (docs/results-format.md)")->required();
  command->add_option("--only", options->only, "Train only this run id");
  command
      ->add_option("--threads", options->threads,
                   "LibTorch threads (default: execution.threads, else the cores this "
                   "process may use, capped by OMP_NUM_THREADS)")
      ->check(CLI::Range(0, 1024));
  return command;
}

int RunRunCommand(const RunCommand& options) {
  train::InstallStopHandlers();
  const LoadedGrid grid = LoadGrid(options.grid, data::CheckDataSpec);
  std::vector<const RunSpec*> runs;
  for (const auto& run : grid.runs) {
    if (options.only.empty() || run.id == options.only) runs.push_back(&run);
  }
  if (runs.empty()) {
    throw ConfigError(SourceLocation{options.grid, 0, 0},
                      "--only " + options.only +
                          ": no such run in the grid (florenz validate "
                          "lists the ids)");
  }
  ResultsDir results(options.out);
  results.Create();
  results.WriteExperimentYaml(SpecToYaml(grid.spec));
  const data::DataGenerator data(grid.spec);
  const int threads = train::ResolveThreadCount(options.threads > 0 ? options.threads
                                                                    : grid.spec.execution.threads);

  std::cout << "florenz run: " << runs.size() << " runs of '" << grid.spec.experiment.name
            << "' -> " << options.out << " (" << threads << " threads)\n";
  struct Row {
    std::string id, status, metric;
    double seconds = 0;
  };
  std::vector<Row> rows;
  int failed = 0;
  bool interrupted = false;
  for (size_t i = 0; i < runs.size() && !interrupted; ++i) {
    const RunSpec& run = *runs[i];
    if (train::StopRequested()) {  // arrived between runs: start no new one
      interrupted = true;
      break;
    }
    const std::string tag =
        "[" + std::to_string(i + 1) + "/" + std::to_string(runs.size()) + "] " + run.id;
    if (results.IsFinished(run.id)) {
      std::cout << tag << ": finished earlier, skipped\n";
      rows.push_back({run.id, "skipped", "", 0});
      continue;
    }
    train::RunContext context;
    context.results = &results;
    context.threads = threads;
    context.on_progress = [&](const train::TrainProgress& p) {
      const double eta = (p.steps - p.step) * (p.seconds / std::max<int64_t>(1, p.step));
      std::printf("\r%s: %s/%s samples  loss %.4f  %.0f samples/s  ETA %s   ", tag.c_str(),
                  HumanCount(p.samples).c_str(), HumanCount(p.budget).c_str(), p.loss,
                  p.samples_per_second, Eta(p.resumed ? 0 : eta).c_str());
      std::fflush(stdout);
    };
    std::string reason;
    for (int attempt = 0; attempt <= grid.spec.execution.retries; ++attempt) {
      try {
        const train::RunOutcome outcome = train::TrainRun(run, data, context);
        const auto unseen = outcome.final_metrics.find("unseen_caption");
        char metric[64] = "";
        if (unseen != outcome.final_metrics.end()) {
          std::snprintf(metric, sizeof(metric), "%.4f", unseen->second);
        }
        std::printf("\n%s: completed in %.1f s (evaluation %.1f s), unseen-caption CE %s\n",
                    tag.c_str(), outcome.seconds, outcome.evaluation_seconds, metric);
        rows.push_back({run.id, "completed", metric, outcome.seconds});
        reason.clear();
        break;
      } catch (const train::RunInterrupted& e) {  // not a failure: checkpointed, stop the grid
        std::printf("\n%s: %s\n", tag.c_str(), e.what());
        rows.push_back({run.id, "interrupted", "step " + std::to_string(e.step()), 0});
        reason.clear();
        interrupted = true;
        break;
      } catch (const std::exception& e) {  // the run boundary
        reason = e.what();
        std::printf("\n%s: attempt %d failed: %s\n", tag.c_str(), attempt + 1, reason.c_str());
      }
    }
    if (!reason.empty()) {
      train::CommitFailedRun(run, data, results, reason);
      rows.push_back({run.id, "failed", reason, 0});
      ++failed;
    }
  }

  std::cout << "\nrun id                              status      unseen CE / reason\n";
  for (const auto& r : rows) {
    std::printf("%-35s %-11s %s\n", r.id.c_str(), r.status.c_str(), r.metric.c_str());
  }
  std::cout << "results: " << options.out << "/runs (florenz collect " << options.out
            << " writes results.csv)\n";
  if (interrupted) {
    std::cout << "florenz run: stopped by signal " << train::StopSignal()
              << " after a checkpoint; the same command resumes (exit code " << kExitRequeue
              << ")\n";
    return kExitRequeue;
  }
  return failed > 0 ? kExitRunsFailed : kExitOk;
}

}  // namespace florenz
