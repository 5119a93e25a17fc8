// The table of subcommands (command_table.h). Each adapter keeps its flags in a struct
// (cli/<name>_command.h) filled by Add…Command and read by Run…Command; Entry pairs the two.
#include "cli/command_table.h"

#include <memory>

#include "cli/collect_command.h"
#include "cli/data_preview_command.h"
#include "cli/data_shards_commands.h"
#include "cli/fit_command.h"
#include "cli/report_command.h"
#include "cli/run_command.h"
#include "cli/simulate_command.h"
#include "cli/status_command.h"
#include "cli/submit_command.h"
#include "cli/validate_command.h"

namespace florenz {
namespace {

template <class Flags, CLI::App* (*Add)(CLI::App&, Flags*), int (*Run)(const Flags&)>
Subcommand Entry(CLI::App& app) {
  auto flags = std::make_shared<Flags>();
  CLI::App* command = Add(app, flags.get());
  return Subcommand{command, [flags] { return Run(*flags); }};
}

using Register = Subcommand (*)(CLI::App&);

constexpr Register kSubcommands[] = {
    Entry<ValidateCommand, AddValidateCommand, RunValidateCommand>,
    Entry<CollectCommand, AddCollectCommand, RunCollectCommand>,
    Entry<FitCommand, AddFitCommand, RunFitCommand>,
    Entry<ReportCommand, AddReportCommand, RunReportCommand>,
    Entry<RunCommand, AddRunCommand, RunRunCommand>,
    Entry<SimulateCommand, AddSimulateCommand, RunSimulateCommand>,
    Entry<StatusCommand, AddStatusCommand, RunStatusCommand>,
    Entry<SubmitCommand, AddSubmitCommand, RunSubmitCommand>,
    Entry<DataPreviewCommand, AddDataPreviewCommand, RunDataPreviewCommand>,
    Entry<DataExportCommand, AddDataExportCommand, RunDataExportCommand>,
    Entry<DataIndexCommand, AddDataIndexCommand, RunDataIndexCommand>,
    Entry<DataInspectCommand, AddDataInspectCommand, RunDataInspectCommand>,
    Entry<DataTokenizerCommand, AddDataTokenizerCommand, RunDataTokenizerCommand>,
};

}  // namespace

std::vector<Subcommand> RegisterSubcommands(CLI::App& app) {
  std::vector<Subcommand> subcommands;
  for (const Register add : kSubcommands) subcommands.push_back(add(app));
  return subcommands;
}

}  // namespace florenz
