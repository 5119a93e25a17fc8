// The `florenz` command: one entry point for every subcommand. Errors are caught here and
// only here (with a worker's run boundary): a message, no stack dump, and the exit code of
// orchestrator/exit_codes.h.
#include <CLI/CLI.hpp>
#include <iostream>

#include "experiments/errors.h"
#include "orchestrator/collect_command.h"
#include "orchestrator/data_preview_command.h"
#include "orchestrator/exit_codes.h"
#include "orchestrator/fit_command.h"
#include "orchestrator/report_command.h"
#include "orchestrator/run_command.h"
#include "orchestrator/simulate_command.h"
#include "orchestrator/status_command.h"
#include "orchestrator/submit_command.h"
#include "orchestrator/validate_command.h"

namespace {

constexpr const char* kAbout =
    "florenz: scaling-law studies of systematic generalization in vision-language models.\n"
    "Exit codes: 0 ok, 1 failure, 2 bad input (with FILE:LINE:COLUMN messages), 3 `run` "
    "finished but some runs failed, 4 `run` stopped by SIGTERM/SIGUSR2 after a checkpoint "
    "(requeue: the same command resumes).";

int Dispatch(int argc, char** argv) {
  CLI::App app{kAbout, "florenz"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("florenz ") + FLORENZ_VERSION);

  florenz::ValidateCommand validate;
  CLI::App* validate_command = florenz::AddValidateCommand(app, &validate);
  florenz::CollectCommand collect;
  CLI::App* collect_command = florenz::AddCollectCommand(app, &collect);
  florenz::FitCommand fit;
  CLI::App* fit_command = florenz::AddFitCommand(app, &fit);
  florenz::ReportCommand report;
  CLI::App* report_command = florenz::AddReportCommand(app, &report);
  florenz::RunCommand run;
  CLI::App* run_command = florenz::AddRunCommand(app, &run);
  florenz::SimulateCommand simulate;
  CLI::App* simulate_command = florenz::AddSimulateCommand(app, &simulate);
  florenz::StatusCommand status;
  CLI::App* status_command = florenz::AddStatusCommand(app, &status);
  florenz::SubmitCommand submit;
  CLI::App* submit_command = florenz::AddSubmitCommand(app, &submit);
  florenz::DataPreviewCommand preview;
  CLI::App* preview_command = nullptr;
  florenz::AddDataCommand(app, &preview, &preview_command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, the version, or the parse error
    return code == 0 ? florenz::kExitOk : florenz::kExitBadInput;
  }
  if (*validate_command) return florenz::RunValidateCommand(validate);
  if (*collect_command) return florenz::RunCollectCommand(collect);
  if (*fit_command) return florenz::RunFitCommand(fit);
  if (*report_command) return florenz::RunReportCommand(report);
  if (*preview_command) return florenz::RunDataPreviewCommand(preview);
  if (*run_command) return florenz::RunRunCommand(run);
  if (*simulate_command) return florenz::RunSimulateCommand(simulate);
  if (*status_command) return florenz::RunStatusCommand(status);
  if (*submit_command) return florenz::RunSubmitCommand(submit);
  return florenz::kExitBadInput;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Dispatch(argc, argv);
  } catch (const florenz::ConfigError& e) {
    for (const auto& message : e.messages()) std::cerr << message << "\n";
    return florenz::kExitBadInput;
  } catch (const florenz::IoError& e) {
    std::cerr << "florenz: " << e.what() << "\n";
    return florenz::kExitFailure;
  } catch (const std::exception& e) {
    std::cerr << "florenz: internal error: " << e.what() << "\n";
    return florenz::kExitFailure;
  }
}
