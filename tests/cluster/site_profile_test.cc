// Site profiles load like grids: the shipped ones are valid; every problem is reported at
// FILE:LINE:COLUMN, and values that could not reach a batch script safely are refused.
#include "cluster/site_profile.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/errors.h"

namespace florenz::cluster {
namespace {

using ::testing::HasSubstr;

std::string Errors(const std::string& yaml) {
  try {
    LoadSiteProfileFromString(yaml, "p.yaml");
  } catch (const ConfigError& e) {
    std::string all;
    for (const auto& m : e.messages()) all += m + "\n";
    return all;
  }
  return "";
}

TEST(SiteProfileTest, ShippedProfilesLoad) {
  const SiteProfile local =
      LoadSiteProfile(std::string(FLORENZ_SOURCE_DIR) + "/cluster/profiles/local.yaml");
  EXPECT_EQ(local.name, "local");
  EXPECT_EQ(local.partition, "local");
  EXPECT_EQ(local.tasks(), 1);
  EXPECT_EQ(local.launcher.kind, LauncherKind::kSrun);
  const SiteProfile gpu = LoadSiteProfile(std::string(FLORENZ_SOURCE_DIR) +
                                          "/cluster/profiles/gpu_cluster_example.yaml");
  EXPECT_EQ(gpu.gpus_per_node, 8);
  EXPECT_EQ(gpu.tasks_per_node, 8);
  EXPECT_EQ(gpu.time_limit.seconds, 24 * 3600);
  EXPECT_EQ(gpu.launcher.mpi, "pmix");
  EXPECT_EQ(gpu.modules.size(), 4u);
  const SiteProfile cpu = LoadSiteProfile(std::string(FLORENZ_SOURCE_DIR) +
                                          "/cluster/profiles/cpu_nodes_mpirun_example.yaml");
  EXPECT_EQ(cpu.nodes, 4);
  EXPECT_EQ(cpu.launcher.kind, LauncherKind::kMpirun);
  const SiteProfile bed =
      LoadSiteProfile(std::string(FLORENZ_SOURCE_DIR) + "/cluster/testbed/bed.yaml");
  EXPECT_EQ(bed.nodes, 3);
  EXPECT_EQ(bed.tasks(), 6);
  EXPECT_EQ(bed.launcher.mpi, "pmix");
}

TEST(SiteProfileTest, DefaultsAndDurations) {
  const SiteProfile p =
      LoadSiteProfileFromString("name: x\ntime_limit: \"2:30:00\"\nwarning_lead: 90\n", "p");
  EXPECT_EQ(p.time_limit.seconds, 9000);
  EXPECT_EQ(p.warning_lead.seconds, 90);
  EXPECT_EQ(p.nodes, 1);
  EXPECT_EQ(p.launcher.kind, LauncherKind::kSrun);
}

TEST(SiteProfileTest, UnknownKeysAndTypesAreReportedWithPositions) {
  const std::string errors =
      Errors("name: x\npartiton: gpu\nnodes: two\nlauncher: {kind: srunn}\n");
  EXPECT_THAT(errors, HasSubstr("p.yaml:2:1: unknown key 'partiton'"));
  EXPECT_THAT(errors, HasSubstr("did you mean 'partition'?"));
  EXPECT_THAT(errors, HasSubstr("p.yaml:3:8: nodes: expected an integer"));
  EXPECT_THAT(errors, HasSubstr("p.yaml:4:18: launcher.kind: unknown launcher kind 'srunn'"));
}

TEST(SiteProfileTest, ValuesOutsideTheirCharacterSetAreRefusedAtTheirPosition) {
  EXPECT_THAT(Errors("name: x\npartition: \"gpu;touch PWNED\"\n"),
              HasSubstr("p.yaml:2:12: partition: 'gpu;touch PWNED' contains ';'"));
  EXPECT_THAT(Errors("name: x\naccount: \"$(touch PWNED)\"\n"),
              HasSubstr("p.yaml:2:10: account: '$(touch PWNED)' contains '$'"));
  EXPECT_THAT(Errors("name: x\nqos: \"a\\nb\"\n"), HasSubstr("qos: 'a?b' contains a newline"));
  EXPECT_THAT(Errors("name: ../evil\n"), HasSubstr("p.yaml:1:7: name: '../evil' must be"));
  EXPECT_THAT(Errors("name: x\nmemory: 4 GB\n"), HasSubstr("memory: '4 GB' contains a space"));
  EXPECT_THAT(Errors("name: x\nmemory: lots\n"), HasSubstr("is not a Slurm size"));
  EXPECT_THAT(Errors("name: x\nmodules: [\"cuda\\n rm -rf /\"]\n"),
              HasSubstr("modules: 'cuda? rm -rf /' contains a newline"));
  EXPECT_THAT(Errors("name: x\nenvironment: {\"A;B\": 1}\n"),
              HasSubstr("'A;B' is not a variable name"));
  EXPECT_THAT(Errors("name: x\nenvironment: {SLURM_JOB_ID: 1}\n"), HasSubstr("is set by Slurm"));
  EXPECT_THAT(Errors("name: x\nenvironment: {BASH_ENV: /tmp/x}\n"), HasSubstr("BASH_ENV"));
  EXPECT_THAT(Errors("name: x\nlauncher: {kind: srun, mpi: \"pmix --x\"}\n"),
              HasSubstr("launcher.mpi: 'pmix --x' contains a space"));
  EXPECT_THAT(Errors("name: x\nflorenz: bin/florenz\n"), HasSubstr("give an absolute path"));
}

TEST(SiteProfileTest, ExtraSbatchOptionsOnlyFromTheAllowedList) {
  EXPECT_EQ(Errors("name: x\nsbatch_options: [--constraint=a100&ib, --mail-type=END]\n"), "");
  EXPECT_THAT(Errors("name: x\nsbatch_options: [--output=/etc/passwd]\n"),
              HasSubstr("p.yaml:2:18: sbatch_options: --output is not allowed"));
  EXPECT_THAT(Errors("name: x\nsbatch_options: [--constrant=a]\n"),
              HasSubstr("did you mean 'constraint'?"));
  EXPECT_THAT(Errors("name: x\nsbatch_options: [--exclusive]\n"),
              HasSubstr("not of the form --key=value"));
  EXPECT_THAT(Errors("name: x\nsbatch_options: [\"--comment=a b\"]\n"),
              HasSubstr("the value of --comment contains a space"));
}

TEST(SiteProfileTest, RangesAndTimes) {
  EXPECT_THAT(Errors("name: x\nnodes: 0\n"), HasSubstr("nodes: 0 is outside 1…100000"));
  EXPECT_THAT(Errors("name: x\ntime_limit: 30\n"), HasSubstr("time_limit: at least 60 seconds"));
  EXPECT_THAT(Errors("name: x\ntime_limit: 120\nwarning_lead: 120\n"),
              HasSubstr("p.yaml:3:15: warning_lead: 120 s is not shorter than time_limit 120 s"));
  EXPECT_THAT(Errors("name: x\nnodes: 2\nlauncher: {kind: none}\n"),
              HasSubstr("launcher.kind: none starts one process"));
  EXPECT_THAT(Errors("name: x\ntasks_per_node: 3\nlauncher: {kind: srun, mpi: none}\n"),
              HasSubstr("p.yaml:3:29: launcher.mpi: none starts 3 unconnected processes"));
  EXPECT_EQ(Errors("name: x\nlauncher: {kind: srun, mpi: none}\n"), "");
  EXPECT_THAT(Errors("partition: a\n"), HasSubstr("name: required"));
  EXPECT_THAT(Errors("- a\n"), HasSubstr("p.yaml:1:1: expected a mapping"));
  EXPECT_THAT(Errors("name: [x\n"), HasSubstr("malformed YAML"));
}

}  // namespace
}  // namespace florenz::cluster
