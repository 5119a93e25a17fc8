// The `florenz` binary as a user meets it: help for every subcommand, exit codes 0 / 2 / 1,
// and FILE:LINE:COLUMN messages for bad grids.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "experiments/results_dir.h"
#include "experiments/run_file_writer.h"
#include "tests/e2e_util.h"

namespace {

using ::testing::HasSubstr;

using florenz::e2e::Florenz;
using florenz::e2e::Result;

std::string Grid(const std::string& name) {
  return std::string(FLORENZ_SOURCE_DIR) + "/experiments/grids/" + name + ".yaml";
}

TEST(CliTest, EverySubcommandHasHelp) {
  for (const char* sub : {"", "validate", "collect", "data", "data preview", "data export",
                          "data index", "data inspect", "data tokenizer"}) {
    const Result r = Florenz(std::string(sub) + " --help");
    EXPECT_EQ(r.code, 0) << sub << "\n" << r.output;
    EXPECT_THAT(r.output, HasSubstr("Usage")) << sub;
  }
}

TEST(CliTest, ValidatePrintsTheRunTable) {
  const Result r = Florenz("validate " + Grid("quickstart"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("experiment 'quickstart', 4 runs"));
  EXPECT_THAT(r.output, HasSubstr("run id"));
  EXPECT_THAT(r.output, HasSubstr("xs-10k-s0-"));
  EXPECT_THAT(r.output, HasSubstr("est. train FLOPs"));
}

TEST(CliTest, ValidateJsonListsEveryRun) {
  const Result r = Florenz("validate --json " + Grid("florenz_paper"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"experiment\": \"florenz-paper\""));
  EXPECT_THAT(r.output, HasSubstr("\"ranks\": 32"));
  const nlohmann::json json = nlohmann::json::parse(r.output);
  EXPECT_EQ(json["experiment"], "florenz-paper");
  ASSERT_EQ(json["runs"].size(), 16u);
  for (const auto& run : json["runs"]) {
    for (const char* key :
         {"id", "size", "d_model", "encoder_layers", "decoder_layers", "heads", "ffn", "params",
          "non_embedding_params", "samples", "seed", "forward_flops_per_sample", "training_flops",
          "tensor_parallel", "data_parallel", "ranks"}) {
      EXPECT_TRUE(run.contains(key)) << key;
    }
    EXPECT_EQ(run["ranks"].get<int>(),
              run["tensor_parallel"].get<int>() * run["data_parallel"].get<int>());
  }
}

TEST(CliTest, BadGridExitsTwoWithFileLineColumn) {
  const auto dir = std::filesystem::temp_directory_path() / "florenz_cli_test";
  std::filesystem::create_directories(dir);
  const auto bad = dir / "bad.yaml";
  std::ofstream(bad) << "experiment:\n  name: x\n  seedz: [0]\n";
  const Result r = Florenz("validate " + bad.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr(bad.string() + ":3:3: unknown key 'seedz' in 'experiment' "
                                                 "(did you mean 'seeds'?)"));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("terminate")));
}

// This machine has no GPU: asking for one ends `florenz run` with exit 2 before anything is
// written (no results folder, no run file); --device overrides the grid either way.
TEST(CliTest, RunOnCudaWithoutAGpuExitsTwoBeforeWritingAnything) {
  const auto dir = std::filesystem::temp_directory_path() / "florenz_cli_cuda";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string grid = Grid("quickstart");
  const auto out = dir / "out";
  const Result flag = Florenz("run " + grid + " --device cuda --out " + out.string());
  EXPECT_EQ(flag.code, 2) << flag.output;
  EXPECT_THAT(flag.output, HasSubstr("execution.device is cuda, but rank 0"));
  EXPECT_THAT(flag.output, HasSubstr("sees no GPU"));
  EXPECT_THAT(flag.output, HasSubstr("(--device cuda)"));
  EXPECT_FALSE(std::filesystem::exists(out));

  const Result bad = Florenz("run " + grid + " --device tpu --out " + out.string());
  EXPECT_EQ(bad.code, 2) << bad.output;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(CliTest, MissingGridFileExitsTwo) {
  const Result r = Florenz("validate /nonexistent/grid.yaml");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("/nonexistent/grid.yaml: cannot open the grid file"));
}

TEST(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Florenz("").code, 2);
  EXPECT_EQ(Florenz("no-such-subcommand").code, 2);
  EXPECT_EQ(Florenz("validate").code, 2);
  EXPECT_EQ(Florenz("validate --no-such-flag x.yaml").code, 2);
}

TEST(CliTest, CollectOfAMissingFolderExitsTwo) {
  const Result r = Florenz("collect /nonexistent/results");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("/nonexistent/results"));
}

// `collect` writes only into results folders, and replaces only files it wrote.
TEST(CliTest, CollectRefusesOtherFoldersAndFilesItDidNotWrite) {
  const auto dir = std::filesystem::temp_directory_path() / "florenz_cli_collect_guard";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "plain");
  const Result plain = Florenz("collect " + (dir / "plain").string());
  EXPECT_EQ(plain.code, 2) << plain.output;
  EXPECT_THAT(plain.output, HasSubstr("not a results folder (no experiment.yaml, no runs/)"));
  EXPECT_FALSE(std::filesystem::exists(dir / "plain" / "results.h5"));

  florenz::ResultsDir results(dir / "out");
  results.Create();
  std::ofstream(results.ResultsCsv()) << "my,own,table\n1,2,3\n";
  const Result mine = Florenz("collect " + (dir / "out").string());
  EXPECT_EQ(mine.code, 1) << mine.output;
  EXPECT_THAT(mine.output, HasSubstr("results.csv: exists and was not written by florenz collect"));
  std::ifstream in(results.ResultsCsv());
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "my,own,table");
}

// --version: florenz's version and the commit the program was built from (this checkout's, a
// 12-digit hash), then every library it was built with.
TEST(CliTest, VersionFlagNamesTheCommitAndTheLibraries) {
  const Result r = Florenz("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.output, ::testing::ContainsRegex("^florenz [0-9]+\\.[0-9]+\\.[0-9]+ \\(commit "
                                                 "[0-9a-f]{12}(-dirty)?\\)\n"));
  for (const char* library : {"LibTorch: ", "CUDA: ", "NCCL: ", "HDF5: ", "Ceres: ", "MPI: "}) {
    EXPECT_THAT(r.output, HasSubstr(std::string("\n  ") + library)) << library;
  }
  EXPECT_THAT(r.output, HasSubstr("MPI: Open MPI "));
}

}  // namespace

namespace florenz {
namespace {

// A results folder with one completed, one failed and one unfinished run, written by the
// store's own writer, collected by the binary.
TEST(CliCollectTest, CollectsFinishedRunsIntoCsvAndHdf5) {
  const auto out = std::filesystem::temp_directory_path() / "florenz_cli_collect";
  std::filesystem::remove_all(out);
  ResultsDir dir(out);
  dir.Create();
  RunFileLayout layout;
  layout.eval_pairs = {"caption_es"};
  layout.eval_metrics = {"loss"};
  layout.final_metrics = {"loss_caption_es"};
  auto write = [&](const std::string& id, RunStatus status, bool finish) {
    RunConfig config;
    config.run_id = id;
    config.spec_yaml = "experiment: {name: t}\n";
    config.numbers = {{"params", 1000}, {"samples", 5000}};
    RunFileWriter writer = RunFileWriter::Create(dir, config, layout);
    writer.AppendTrain(TrainRecord{1, 64, 2.5, 1e-3, 1.0, 0.1});
    writer.Flush();
    if (finish)
      writer.Finish(status, status == RunStatus::kFailed ? "diverged" : "",
                    {{"loss_caption_es", 1.25}});
  };
  write("xs-5k-s0-aaaaaaaa", RunStatus::kCompleted, true);
  write("xs-10k-s0-bbbbbbbb", RunStatus::kFailed, true);
  write("s-5k-s0-cccccccc", RunStatus::kCompleted, false);

  const Result r = Florenz("collect " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("2 runs (1 completed, 1 failed)"));
  EXPECT_THAT(r.output, HasSubstr("1 unfinished"));
  std::ifstream csv(out / "results.csv");
  std::string header, first, second, extra;
  std::getline(csv, header);
  std::getline(csv, first);
  std::getline(csv, second);
  EXPECT_FALSE(std::getline(csv, extra)) << "unfinished runs are not rows";
  EXPECT_THAT(header, HasSubstr("run_id,status,reason"));
  EXPECT_THAT(header, HasSubstr("final/loss_caption_es"));
  EXPECT_THAT(first + second, HasSubstr("xs-5k-s0-aaaaaaaa,completed"));
  EXPECT_THAT(first + second, HasSubstr("xs-10k-s0-bbbbbbbb,failed,diverged"));
  EXPECT_TRUE(std::filesystem::exists(out / "results.h5"));
}

}  // namespace
}  // namespace florenz

// ---- florenz fit ------------------------------------------------------------------------------

namespace {

// A CSV of noise-free log-linear losses over N × D (4 × 4), in a fresh directory.
std::filesystem::path FitCsv(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "florenz_cli_fit_test";
  std::filesystem::create_directories(dir);
  const auto file = dir / name;
  std::ofstream out(file);
  out << "N,D,size,loss\n";
  const char* sizes[] = {"xs", "s", "m", "l"};
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      const double n = 1e7 * std::pow(10.0, i), d = 1e8 * std::pow(10.0, 0.5 * j);
      const double wobble = 1.0 + 0.004 * ((3 * i + j) % 5 - 2);
      out << n << "," << d << "," << sizes[i] << ","
          << 20 * std::pow(n, -0.1) * std::pow(d, -0.05) * wobble << "\n";
    }
  }
  return file;
}

TEST(CliFitTest, FitsACsvAndWritesJson) {
  const auto csv = FitCsv("grid.csv");
  const auto json = csv.parent_path() / "fit.json";
  std::filesystem::remove(json);
  EXPECT_EQ(Florenz("fit --help").code, 0);
  const Result r = Florenz("fit " + csv.string() +
                           " --x N,D --y loss --predict N=1e11,D=1e10 --holdout largest:2 --json " +
                           json.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("law loglinear"));
  EXPECT_THAT(r.output, HasSubstr("16 of 16 points"));
  EXPECT_THAT(r.output, HasSubstr("predictions of loss"));
  EXPECT_THAT(r.output, HasSubstr("held out"));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("nan")));
  std::ifstream in(json);
  const nlohmann::json fit = nlohmann::json::parse(in);
  EXPECT_EQ(fit["law"], "loglinear");
  EXPECT_EQ(fit["fitted_points"], 16);
  ASSERT_EQ(fit["predictions"].size(), 1u);
  EXPECT_TRUE(fit["predictions"][0]["pi_low"].is_number());
  EXPECT_EQ(fit["holdout"].size(), 2u);
}

TEST(CliFitTest, ChinchillaNamesTheAdditiveLawAndTheLabelFollowsTheConfidence) {
  const auto csv = FitCsv("grid_alias.csv");
  Result r = Florenz("fit " + csv.string() + " --law chinchilla --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("law additive: loss = E + A_N/N^alpha_N + A_D/D^alpha_D"));
  r = Florenz("fit " + csv.string() + " --confidence 0.8");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("80% t low"));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("95% t")));
}

TEST(CliFitTest, ComputeLawWithFilterAndBootstrap) {
  const auto csv = FitCsv("grid2.csv");
  const Result r = Florenz("fit " + csv.string() +
                           " --law compute --x D --where size=l "
                           "--bootstrap 50 --seed 1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("4 of 4 points"));
  EXPECT_THAT(r.output, HasSubstr("bootstrap 50 resamples"));
}

TEST(CliFitTest, BadInputExitsTwoNamingFileAndColumn) {
  const auto csv = FitCsv("grid3.csv");
  Result r = Florenz("fit " + csv.string() + " --y perplexity");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr(csv.string()));
  EXPECT_THAT(r.output, HasSubstr("'perplexity' is not a column"));

  r = Florenz("fit " + csv.string() + " --where size=m");  // N takes one value
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("column 'N' takes the single value"));

  r = Florenz("fit " + csv.string() +
              " --law additive --where size=m --x D");  // 4 points, 3 params
  EXPECT_EQ(r.code, 0) << r.output;

  r = Florenz("fit " + csv.string() + " --law additive --where D=1e8");
  EXPECT_EQ(r.code, 2) << r.output;

  r = Florenz("fit " + csv.string() + " --law bogus");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("unknown law 'bogus'"));
}

TEST(CliFitTest, PlotWritesAPng) {
  const auto csv = FitCsv("grid4.csv");
  const auto png = csv.parent_path() / "fit.png";
  std::filesystem::remove(png);
  const Result r = Florenz("fit " + csv.string() + " --plot " + png.string());
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream in(png, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");
}

// A --plot into a folder that does not exist is bad input, found before the fit runs; PLplot
// never gets to print "IMMEDIATE EXIT" and end the process.
TEST(CliFitTest, PlotIntoAMissingFolderExitsTwoBeforeFitting) {
  const auto csv = FitCsv("grid4.csv");
  const Result r = Florenz("fit " + csv.string() + " --plot /no/such/dir/p.png");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--plot: /no/such/dir/p.png: no such folder '/no/such/dir'"));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("PLPLOT")));
}

}  // namespace

namespace {

TEST(CliDataPreviewTest, WritesImagesAndSamplesMarkdown) {
  const auto out = std::filesystem::temp_directory_path() / "florenz_cli_preview";
  std::filesystem::remove_all(out);
  const Result r =
      Florenz("data preview " + Grid("quickstart") + " --count 3 --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* png : {"sample-001.png", "sample-002.png", "sample-003.png"}) {
    std::ifstream in(out / png, std::ios::binary);
    char magic[4] = {};
    in.read(magic, 4);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG") << png;
  }
  std::ifstream md(out / "samples.md");
  const std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("## Sample 3"));
  EXPECT_THAT(text, HasSubstr("| zh | 图 为"));
  EXPECT_THAT(text, HasSubstr("`translate_ru`"));
  EXPECT_THAT(text, HasSubstr("Evaluation-only pairs"));
  EXPECT_THAT(text, HasSubstr("`caption_es`"));
}

TEST(CliDataPreviewTest, BadGridExitsTwo) {
  EXPECT_EQ(Florenz("data preview /nonexistent.yaml --out /tmp/x").code, 2);
  EXPECT_EQ(Florenz("data preview " + Grid("quickstart") + " --count 0 --out /tmp/x").code, 2);
}

// The corpus commands end to end: the quickstart grid exported as shards, indexed (then from
// its cache), inspected against the grid; a shard cut short exits 2 naming shard and member,
// and --skip-bad goes on without it.
// --prefix names the shards: an empty one or one with a '/' is refused, each saying which.
TEST(CliDataShardsTest, ABadPrefixSaysWhatIsWrongWithIt) {
  const auto out = std::filesystem::temp_directory_path() / "florenz_cli_prefix";
  Result r =
      Florenz("data export " + Grid("quickstart") + " --out " + out.string() + " --prefix ''");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--prefix: empty: shards need a name prefix"));
  r = Florenz("data export " + Grid("quickstart") + " --out " + out.string() + " --prefix a/b");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--prefix: 'a/b' holds a '/'"));
}

TEST(CliDataShardsTest, ExportIndexInspectAndABadShard) {
  const auto out = std::filesystem::temp_directory_path() / "florenz_cli_shards";
  std::filesystem::remove_all(out);
  Result r = Florenz("data export " + Grid("quickstart") + " --out " + out.string() +
                     " --scenes 12 --per-shard 5");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string pattern = (out / "train-{000000..000002}.tar").string();
  EXPECT_THAT(r.output, HasSubstr("in 3 shard(s): " + pattern));
  r = Florenz("data index '" + pattern + "'");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("cached in"));
  EXPECT_THAT(r.output, HasSubstr("caption_es: 12"));
  r = Florenz("data index '" + pattern + "'");
  EXPECT_THAT(r.output, HasSubstr("read the index from"));
  r = Florenz("data inspect '" + pattern + "' --grid " + Grid("quickstart"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("coverage of grid 'quickstart'"));
  EXPECT_THAT(r.output, HasSubstr("caption_es         evaluation-only        12 samples"));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("nothing to train on")));
  const auto model = out / "tok.model";
  r = Florenz("data tokenizer '" + pattern + "' --vocab 300 --out " + model.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("languages de en es fr ru zh; hash "));
  EXPECT_TRUE(std::filesystem::exists(model));

  const auto last = out / "train-000002.tar";
  std::filesystem::resize_file(last, std::filesystem::file_size(last) / 2);
  r = Florenz("data index '" + pattern + "'");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr(last.string() + ":"));
  r = Florenz("data index '" + pattern + "' --skip-bad");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("1 skipped:"));
  EXPECT_EQ(Florenz("data index '" + (out / "nope-{0..3}.tar").string() + "'").code, 2);
}

}  // namespace

namespace florenz {
namespace {

// `florenz fit` on a results folder: 9 completed runs (3 sizes × 3 budgets) written by the
// store's writer with the config attributes of docs/fitting.md, collected, then fitted by name.
TEST(CliFitTest, FitsACollectedResultsFolder) {
  const auto out = std::filesystem::temp_directory_path() / "florenz_cli_fit_results";
  std::filesystem::remove_all(out);
  ResultsDir dir(out);
  dir.Create();
  RunFileLayout layout;
  layout.final_metrics = {"unseen_caption"};
  const char* sizes[] = {"xs", "s", "m"};
  const char* budgets[] = {"5k", "10k", "20k"};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      const double n = 1e6 * std::pow(4.0, i), d = 5e4 * std::pow(2.0, j);
      RunConfig config;
      config.run_id =
          std::string(sizes[i]) + "-" + budgets[j] + "-s0-0000000" + std::to_string(3 * i + j);
      config.spec_yaml = "experiment: {name: t}\n";
      config.numbers = {{"non_embedding_params", n},
                        {"params", 1.5 * n},
                        {"samples", d},
                        {"flops_per_sample", 2 * 1.5 * n}};
      RunFileWriter writer = RunFileWriter::Create(dir, config, layout);
      writer.Finish(RunStatus::kCompleted, "",
                    {{"unseen_caption", 9.0 * std::pow(n, -0.1) * std::pow(d, -0.04)}});
    }
  }
  ASSERT_EQ(Florenz("collect " + out.string()).code, 0);
  Result r = Florenz("fit " + out.string() + " --metric unseen_caption --predict N=1e8,D=1e6");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("9 of 9 points"));
  EXPECT_THAT(r.output, HasSubstr("b_N               -0.1 "));
  EXPECT_THAT(r.output, HasSubstr("b_D               -0.04 "));
  r = Florenz("fit " + (out / "results.h5").string() + " --y unseen_caption --law compute");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("law compute"));
  r = Florenz("fit " + out.string() + " --y unseen_captoin");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("(did you mean 'unseen_caption'?)"));
}

TEST(CliTest, SimulateComparesThePolicies) {
  Result r = Florenz("simulate " + Grid("florenz_paper") +
                     " --ranks 64 --ranks-per-node 8 --coordinator extra --flops-per-rank 1e14");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("16 runs of 'florenz-paper' on 64 worker ranks on 8 nodes"));
  EXPECT_THAT(r.output, HasSubstr("lower bound"));
  EXPECT_THAT(r.output, HasSubstr("lpt+easy *"));
  EXPECT_THAT(r.output, HasSubstr("fifo+none"));
  const Result again = Florenz("simulate " + Grid("florenz_paper") +
                               " --ranks 64 --ranks-per-node 8 --coordinator extra "
                               "--flops-per-rank 1e14");
  EXPECT_EQ(again.output, r.output) << "simulate is deterministic";

  r = Florenz("simulate " + Grid("quickstart") +
              " --ranks 3 --ranks-per-node 3 --policy fifo --json --placements");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"policy\": \"fifo+easy\""));
  EXPECT_THAT(r.output, HasSubstr("\"worker_ranks\": 2"));
  const nlohmann::json json = nlohmann::json::parse(r.output);
  EXPECT_EQ(json["worker_ranks"], 2);
  EXPECT_EQ(json["results"].size(), 4u);
  ASSERT_FALSE(json["placements"].empty());
  for (const auto& placement : json["placements"]) {
    for (const int rank : placement["ranks"]) EXPECT_NE(rank, 0);  // rank 0 coordinates
    EXPECT_LE(placement["start"].get<double>(), placement["end"].get<double>());
  }

  // The paper's 16- and 32-rank gangs cannot fit 15 workers: bad input, not a hang.
  r = Florenz("simulate " + Grid("florenz_paper") + " --ranks 16 --ranks-per-node 8");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("tp 2 x dp 8 = 16 ranks: the 15 live worker ranks"));
  r = Florenz("simulate " + Grid("quickstart") + " --ranks 4 --ranks-per-node 2 --policy sjf");
  EXPECT_EQ(r.code, 2) << r.output;
}

TEST(CliTest, StatusShowsTheRunsOfAResultsFolder) {
  for (const char* sub : {"simulate", "status"}) {
    const Result r = Florenz(std::string(sub) + " --help");
    EXPECT_EQ(r.code, 0) << sub << "\n" << r.output;
    EXPECT_THAT(r.output, HasSubstr("Usage")) << sub;
  }
  const auto out = std::filesystem::temp_directory_path() / "florenz_cli_status";
  std::filesystem::remove_all(out);
  Result r = Florenz("status " + out.string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("not a results folder"));

  // A results folder as `florenz run` leaves it before training: experiment.yaml, no runs.
  ResultsDir dir(out);
  dir.Create();
  std::ifstream grid(Grid("quickstart"));
  std::stringstream text;
  text << grid.rdbuf();
  dir.WriteExperimentYaml(text.str());
  r = Florenz("status " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("experiment 'quickstart', 4 runs: 0 finished, 0 running, 0 "
                                  "interrupted, 0 failed, 4 queued"));
  EXPECT_THAT(r.output, HasSubstr("xs-10k-s0-"));
  std::filesystem::remove_all(out);
}

// A learning-rate axis end to end through the binary: validate lists it, run trains every value
// with the value in the ids, a grid whose axis grows is the same experiment and trains only the
// new runs, collect records the rates, and fit --select keeps one run per cell.
TEST(CliAxesTest, ALearningRateAxisTrainsGrowsCollectsAndSelects) {
  const auto dir = std::filesystem::temp_directory_path() / "florenz_cli_axes";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto write_grid = [&](const std::string& file, const std::string& rates) {
    std::ofstream(dir / file) << "experiment: {name: axes, seeds: [0]}\n"
                                 "data:\n"
                                 "  image: symbolic\n"
                                 "  languages: [en, de, es]\n"
                                 "  coverage:\n"
                                 "    caption: {en: train, de: train, es: eval}\n"
                                 "    translate: {de: train, es: train}\n"
                                 "model: {vocab_size: 256, sizes: [xs]}\n"
                                 "training:\n"
                                 "  budgets: [128, 192, 256]\n"
                                 "  batch_size: 32\n"
                                 "  optimizer: {learning_rate: " +
                                     rates +
                                     "}\n"
                                     "  schedule: {kind: wsd, warmup_samples: 32}\n"
                                     "  branching: true\n"
                                     "evaluation: {samples_per_pair: 8, metrics: [cross_entropy]}\n"
                                     "execution: {threads: 1}\n";
  };
  write_grid("two.yaml", "[1e-3, 3e-3]");
  write_grid("three.yaml", "[1e-3, 3e-3, 1e-2]");
  const std::string out = (dir / "out").string();

  Result r = Florenz("validate " + (dir / "two.yaml").string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output,
              HasSubstr("6 runs (1 sizes x 3 budgets x 1 seed x 2 learning_rate values)"));
  EXPECT_THAT(r.output, HasSubstr("hyperparameter axis training.optimizer.learning_rate: [0.001, "
                                  "0.003]"));
  EXPECT_THAT(r.output, HasSubstr("branching: 4 of 6 runs branch off a trunk"));

  r = Florenz("run " + (dir / "two.yaml").string() + " --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("xs-256-s0-lr0.003-"));
  r = Florenz("run " + (dir / "three.yaml").string() + " --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("another set of runs"));
  EXPECT_THAT(r.output, HasSubstr("9 runs of 'axes'"));
  // Only the runs at the new rate train: the 6 finished ones are skipped.
  int skipped = 0;
  for (size_t at = r.output.find("finished earlier, skipped"); at != std::string::npos;
       at = r.output.find("finished earlier, skipped", at + 1)) {
    ++skipped;
  }
  EXPECT_EQ(skipped, 6) << r.output;
  EXPECT_THAT(r.output, HasSubstr("xs-256-s0-lr0.01-"));
  r = Florenz("status " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("9 runs: 9 finished"));

  r = Florenz("collect " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream csv(dir / "out" / "results.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_THAT(header, HasSubstr("config/learning_rate"));
  EXPECT_THAT(header, HasSubstr("config/axes"));

  r = Florenz("fit " + out + " --x D --y seen_caption --select best");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("3 of 3 points"));
  EXPECT_THAT(r.output, HasSubstr("kept 3 of 9 runs"));
  r = Florenz("fit " + out + " --x D --y seen_caption");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("9 of 9 points"));
  EXPECT_THAT(r.output, HasSubstr("--select best keeps the best run"));
  r = Florenz("fit " + out + " --x D --select lowest");
  EXPECT_EQ(r.code, 2) << r.output;
  std::filesystem::remove_all(dir);
}

// The predictive study's options end to end through the binary (docs/grid-spec.md, "Learning-rate
// rules"; docs/fitting.md): a power rule with a scale axis and a warm-up per parameter trains
// each size at its own rate, and fit takes seed means, holds out a size or the large budgets
// with prediction intervals, smooths over the last evaluations and fits the broken law.
TEST(CliPredictionTest, RulesSeedMeansHoldoutsSmoothingAndTheBrokenLaw) {
  const auto dir = std::filesystem::temp_directory_path() / "florenz_cli_prediction";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "grid.yaml")
      << "experiment: {name: prediction, seeds: [0, 1]}\n"
         "data:\n"
         "  image: symbolic\n"
         "  max_caption_tokens: 24\n"
         "  languages: [en, de, es]\n"
         "  coverage:\n"
         "    caption: {en: train, de: train, es: eval}\n"
         "    translate: {de: train, es: train}\n"
         "model:\n"
         "  vocab_size: 256\n"
         "  sizes: [{name: a, d_model: 16, layers: 1, heads: 2, ffn: 32},\n"
         "          {name: b, d_model: 24, layers: 1, heads: 2, ffn: 48},\n"
         "          {name: c, d_model: 32, layers: 1, heads: 2, ffn: 64}]\n"
         "training:\n"
         "  budgets: [128, 192, 256]\n"
         "  batch_size: 32\n"
         "  optimizer:\n"
         "    learning_rate: 4.0e-3\n"
         "    learning_rate_rule: {kind: power, base_width: 16, exponent: -1}\n"
         "    learning_rate_scale: [0.5, 1]\n"
         "  schedule: {kind: wsd, warmup_samples_per_param: 0.002}\n"
         "  branching: true\n"
         "evaluation: {interval: 64, samples_per_pair: 8, metrics: [cross_entropy]}\n"
         "execution: {threads: 1}\n";
  const std::string grid = (dir / "grid.yaml").string(), out = (dir / "out").string();
  Result r = Florenz("validate " + grid);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("peak lr"));
  EXPECT_THAT(r.output, HasSubstr("c-256-s1-lrs1.0-"));
  r = Florenz("run " + grid + " --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  r = Florenz("collect " + out);
  ASSERT_EQ(r.code, 0) << r.output;

  r = Florenz("fit " + out +
              " --y unseen_caption --where learning_rate_scale=1 --target "
              "seed-mean --holdout size:c --bootstrap 50 --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("seed means: 18 runs in 9 cells of 2 seeds"));
  EXPECT_THAT(r.output, HasSubstr("held out (size c), fitted without them"));
  EXPECT_THAT(r.output, HasSubstr("c-256-lrs1.0 (2 seeds)"));
  EXPECT_THAT(r.output, HasSubstr("seed floor"));
  EXPECT_THAT(r.output, HasSubstr("inside their 95% prediction interval"));
  r = Florenz("fit " + out + " --y unseen_caption --smooth last:2 --holdout 'budget:>192'");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("unseen_caption (mean of the last 2 evaluations)"));
  EXPECT_THAT(r.output, HasSubstr("held out (budgets above 192)"));
  r = Florenz("fit " + out +
              " --law bnsl --y unseen_caption --x N,D,learning_rate --target "
              "seed-mean --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("D_b = k N^g lr^h"));
  EXPECT_THAT(r.output, HasSubstr("D_break(N="));
  EXPECT_THAT(r.output, HasSubstr(": break at D="));
  for (const char* bad : {" --target seeds", " --smooth last:0", " --holdout size:zz",
                          " --holdout 'budget:>lots'", " --law bnsl --x N,C"}) {
    r = Florenz("fit " + out + " --y unseen_caption" + bad);
    EXPECT_EQ(r.code, 2) << bad << "\n" << r.output;
  }
  // The report's held-out section under the same protocol.
  r = Florenz("report " + out + " --law loglinear --target seed-mean --holdout size:c");
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream page(dir / "out" / "report" / "index.html");
  const std::string html((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
  EXPECT_THAT(html, HasSubstr("Held out: the loglinear law predicting what it was not fitted on"));
  EXPECT_THAT(html, HasSubstr("c-256-lrs1.0 (2 seeds)"));
  for (const char* bad : {" --holdout size:c", " --law isoflop", " --law loglinear --target x",
                          " --law loglinear --holdout 'budget:>x'"}) {
    r = Florenz("report " + out + bad);
    EXPECT_EQ(r.code, 2) << bad << "\n" << r.output;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace florenz
