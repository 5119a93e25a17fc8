// The rendered sbatch script: its #SBATCH lines, and its behaviour when bash runs it with fake
// srun / scontrol / module / florenz on PATH — the warning is forwarded and the job requeued,
// a cancel is not turned into a requeue, and hostile values are refused or stay inert.
#include "cluster/sbatch_script.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include "core/errors.h"
#include "tests/cluster/cluster_test_util.h"

namespace florenz::cluster {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

SiteProfile LocalProfile() {
  return LoadSiteProfile(std::string(FLORENZ_SOURCE_DIR) + "/cluster/profiles/local.yaml");
}

void WriteExecutable(const fs::path& file, const std::string& text) {
  testing::WriteText(file, text);
  chmod(file.c_str(), 0755);
}

// A folder with fake tools: srun runs its arguments after its options, and a step on one node
// (--nodelist=NODE) logs "srun on NODE" and fails when NODE is in $FAKE_LOST; scontrol and
// module append their arguments to calls.log (`scontrol show hostnames A,B` prints A and B);
// the fake florenz logs its arguments and then, by FAKE_MODE: `ok` writes runs/<id>.h5 for each
// run of --only and exits 0, `failed` does the same and exits 3, `unfinished` exits 0 without
// writing any, `requeue` exits 4, `lost` exits 205 (as mpirun when a node is lost), `wait` waits
// (up to 20 s) for USR2/TERM, then exits 4. mpirun runs its arguments.
struct FakeCluster {
  fs::path dir, bin, out, calls;
  std::string florenz;

  explicit FakeCluster(const fs::path& root, const std::string& florenz_name = "florenz")
      : dir(root), bin(root / "bin"), out(root / "out"), calls(root / "calls.log") {
    fs::create_directories(out / "slurm");
    WriteExecutable(bin / "srun",
                    "#!/bin/bash\n"
                    "node=\n"
                    "while [ \"${1#--}\" != \"$1\" ]; do\n"
                    "  case \"$1\" in --nodelist=*) node=\"${1#--nodelist=}\" ;; esac\n"
                    "  shift\n"
                    "done\n"
                    "if [ -n \"$node\" ]; then\n"
                    "  echo \"srun on $node\" >> '" +
                        calls.string() +
                        "'\n"
                        "  case \" $FAKE_LOST \" in *\" $node \"*) sleep 0.2; exit 1 ;; esac\n"
                        "fi\n"
                        "exec \"$@\"\n");
    WriteExecutable(bin / "mpirun", "#!/bin/bash\nexec \"$@\"\n");
    WriteExecutable(bin / "scontrol",
                    "#!/bin/bash\n"
                    "if [ \"$1 $2\" = 'show hostnames' ]; then tr , '\\n' <<<\"$3\"; exit 0; fi\n"
                    "echo \"scontrol $*\" >> '" +
                        calls.string() + "'\n");
    WriteExecutable(bin / "module",
                    "#!/bin/bash\necho \"module $*\" >> '" + calls.string() + "'\n");
    florenz = (root / "tools" / florenz_name).string();
    WriteExecutable(florenz,
                    "#!/bin/bash\n"
                    "printf 'florenz' >> \"$FAKE_CALLS\"\n"
                    "printf ' [%s]' \"$@\" >> \"$FAKE_CALLS\"\n"
                    "echo >> \"$FAKE_CALLS\"\n"
                    "finish() {\n"
                    "  while [ $# -gt 0 ]; do\n"
                    "    case \"$1\" in --out) out=\"$2\" ;; --only) only=\"$2\" ;; esac\n"
                    "    shift\n"
                    "  done\n"
                    "  mkdir -p \"$out/runs\"\n"
                    "  for run in ${only//,/ }; do touch \"$out/runs/$run.h5\"; done\n"
                    "}\n"
                    "case \"$FAKE_MODE\" in\n"
                    "  ok) finish \"$@\"; exit 0 ;;\n"
                    "  requeue) exit 4 ;;\n"
                    "  failed) finish \"$@\"; exit 3 ;;\n"
                    "  unfinished) exit 0 ;;\n"
                    "  lost) exit 205 ;;\n"
                    "esac\n"
                    "trap 'echo \"florenz got USR2\" >> \"$FAKE_CALLS\"; exit 4' USR2\n"
                    "trap 'echo \"florenz got TERM\" >> \"$FAKE_CALLS\"; exit 4' TERM\n"
                    "for i in $(seq 1 200); do sleep 0.1; done\n"
                    "exit 0\n");
  }

  SbatchJob Job(const std::vector<std::string>& runs) const {
    SbatchJob job;
    job.index = 1;
    job.count = 1;
    job.experiment = "tiny";
    job.run_ids = runs;
    job.florenz = florenz;
    job.grid = (out / "slurm" / "grid.yaml").string();
    job.out = out.string();
    return job;
  }

  // Starts bash on `script` with the fakes first on PATH and `env` set; returns its pid.
  pid_t Start(const std::string& script, const std::string& mode,
              const std::map<std::string, std::string>& env = {}) const {
    const fs::path file = dir / "job.sbatch";
    testing::WriteText(file, script);
    const pid_t pid = fork();
    if (pid == 0) {
      const std::string path = bin.string() + ":" + std::getenv("PATH");
      setenv("PATH", path.c_str(), 1);
      setenv("FAKE_MODE", mode.c_str(), 1);
      setenv("FAKE_CALLS", calls.c_str(), 1);
      setenv("SLURM_JOB_ID", "77", 1);
      for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
      if (chdir(dir.c_str()) != 0) _exit(126);
      const std::string log = (dir / "job.out").string();
      if (freopen(log.c_str(), "a", stdout) == nullptr) _exit(126);
      dup2(fileno(stdout), STDERR_FILENO);
      execl("/bin/bash", "bash", file.c_str(), nullptr);
      _exit(127);
    }
    return pid;
  }

  static int Wait(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  int Run(const std::string& script, const std::string& mode,
          const std::map<std::string, std::string>& env = {}) const {
    return Wait(Start(script, mode, env));
  }

  // Waits until calls.log holds `text`.
  bool WaitFor(const std::string& text) const {
    for (int i = 0; i < 2000; ++i) {
      if (testing::ReadText(calls).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  std::string Calls() const { return testing::ReadText(calls); }
  std::string Log() const { return testing::ReadText(dir / "job.out"); }
};

TEST(SbatchScriptTest, HasTheSbatchLinesTheJobNeeds) {
  const FakeCluster fake(testing::TestFolder("florenz_sbatch"));
  const std::string script = RenderSbatchScript(LocalProfile(), fake.Job({"a-1k-s0-00000001"}));
  const std::string out = fake.out.string();
  EXPECT_EQ(script.rfind("#!/bin/bash\n", 0), 0u);
  for (const std::string line :
       {"#SBATCH --job-name=florenz-tiny-1", "#SBATCH --partition=local", "#SBATCH --nodes=1",
        "#SBATCH --ntasks-per-node=1", "#SBATCH --cpus-per-task=2", "#SBATCH --mem=4G",
        "#SBATCH --time=1:00:00", "#SBATCH --requeue", "#SBATCH --signal=B:USR2@60",
        "#SBATCH --open-mode=append"}) {
    EXPECT_THAT(script, HasSubstr(line + "\n"));
  }
  EXPECT_THAT(script, HasSubstr("#SBATCH --output=" + out + "/slurm/job-1.out\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --chdir=" + out + "\n"));
  EXPECT_THAT(script, HasSubstr("launch=(srun)\n"));
  EXPECT_THAT(script, HasSubstr("export OMP_NUM_THREADS=2\n"));
  EXPECT_THAT(script, HasSubstr("requeue_code=4\n"));
  EXPECT_THAT(script, Not(HasSubstr("--gres")));
  // Every #SBATCH line comes before the first command: sbatch stops reading them there.
  EXPECT_LT(script.rfind("#SBATCH"), script.find("\nset -u"));
  EXPECT_EQ(SlurmTime(90061), "1-01:01:01");
  EXPECT_EQ(SlurmTime(60), "0:01:00");
}

TEST(SbatchScriptTest, RunsEachRunOfItsShareInOrder) {
  const FakeCluster fake(testing::TestFolder("florenz_sbatch"));
  const std::string script = RenderSbatchScript(LocalProfile(), fake.Job({"r-1", "r-2"}));
  ASSERT_EQ(fake.Run(script, "ok"), 0) << fake.Log();
  const std::string grid = fake.Job({}).grid, out = fake.out.string();
  EXPECT_EQ(fake.Calls(), "florenz [run] [" + grid + "] [--out] [" + out +
                              "] [--only] [r-1]\nflorenz [run] [" + grid + "] [--out] [" + out +
                              "] [--only] [r-2]\n");
  EXPECT_THAT(fake.Log(), HasSubstr("every run of this job is finished"));
}

TEST(SbatchScriptTest, WarningIsForwardedAndTheJobRequeuesItself) {
  const FakeCluster fake(testing::TestFolder("florenz_sbatch"));
  const std::string script = RenderSbatchScript(LocalProfile(), fake.Job({"r-1", "r-2"}));
  const pid_t job = fake.Start(script, "wait");
  ASSERT_TRUE(fake.WaitFor("[r-1]"));
  kill(job, SIGUSR2);  // what --signal=B:USR2@lead does
  EXPECT_EQ(FakeCluster::Wait(job), 0) << fake.Log();
  EXPECT_THAT(fake.Calls(), HasSubstr("florenz got USR2\nscontrol requeue 77\n"));
  EXPECT_THAT(fake.Calls(), Not(HasSubstr("[r-2]"))) << "no new run after the warning";
  EXPECT_THAT(fake.Log(), HasSubstr("SIGUSR2: the time limit is near"));
}

TEST(SbatchScriptTest, ExitCodeFourRequeuesEvenWithoutAWarning) {
  const FakeCluster fake(testing::TestFolder("florenz_sbatch"));
  const std::string script = RenderSbatchScript(LocalProfile(), fake.Job({"r-1", "r-2"}));
  EXPECT_EQ(fake.Run(script, "requeue"), 0) << fake.Log();
  EXPECT_THAT(fake.Calls(), HasSubstr("scontrol requeue 77"));
  EXPECT_THAT(fake.Calls(), Not(HasSubstr("[r-2]")));
}

TEST(SbatchScriptTest, SigtermIsForwardedButNotTurnedIntoARequeue) {
  const FakeCluster fake(testing::TestFolder("florenz_sbatch"));
  const std::string script = RenderSbatchScript(LocalProfile(), fake.Job({"r-1", "r-2"}));
  const pid_t job = fake.Start(script, "wait");
  ASSERT_TRUE(fake.WaitFor("[r-1]"));
  kill(job, SIGTERM);  // scancel, or Slurm's own requeue / preemption
  EXPECT_EQ(FakeCluster::Wait(job), 4) << fake.Log();
  EXPECT_THAT(fake.Calls(), HasSubstr("florenz got TERM"));
  EXPECT_THAT(fake.Calls(), Not(HasSubstr("scontrol")));
  EXPECT_THAT(fake.Calls(), Not(HasSubstr("[r-2]")));
}

TEST(SbatchScriptTest, HostileValuesAreRefusedOrStayInert) {
  // A florenz path, a grid path, modules, environment values and launcher arguments full of
  // shell syntax: quoted, so they arrive as they are and nothing runs.
  const std::string evil = "$(touch PWNED)`touch PWNED2`;touch PWNED3'\"\\";
  const fs::path root = testing::TestFolder("florenz_sbatch");
  const FakeCluster fake(root, "flo" + evil);
  SiteProfile profile = LocalProfile();
  profile.modules = {"cuda" + evil};
  profile.environment = {{"EVIL", evil}};
  profile.launcher.args = {"--x=" + evil};
  SbatchJob job = fake.Job({"r-1"});
  job.grid = (root / ("grid" + evil + ".yaml")).string();
  const std::string script = RenderSbatchScript(profile, job);
  WriteExecutable(fake.bin / "srun",
                  "#!/bin/bash\nprintf 'srun [%s] EVIL=[%s]\\n' \"$1\" \"$EVIL\" >> '" +
                      fake.calls.string() + "'\nshift\nexec \"$@\"\n");
  ASSERT_EQ(fake.Run(script, "ok"), 0) << fake.Log();
  const std::string calls = fake.Calls();
  EXPECT_THAT(calls, HasSubstr("module load cuda" + evil + "\n"));
  EXPECT_THAT(calls, HasSubstr("srun [--x=" + evil + "] EVIL=[" + evil + "]\n"));
  EXPECT_THAT(calls, HasSubstr("florenz [run] [" + job.grid + "]"));
  // `touch` would have made files named PWNED, PWNED2 or PWNED3 (the fake florenz and the
  // grid file carry the text in their names, which is fine).
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    EXPECT_THAT(entry.path().filename().string(), Not(::testing::StartsWith("PWNED")))
        << entry.path();
  }
  EXPECT_FALSE(fs::exists("PWNED"));
}

TEST(SbatchScriptTest, ValuesThatCannotBeCarriedAreRefusedWithAReason) {
  const FakeCluster fake(testing::TestFolder("florenz_sbatch"));
  const SiteProfile profile = LocalProfile();
  auto refusal = [&](SbatchJob job) -> std::string {
    try {
      RenderSbatchScript(profile, job);
    } catch (const ConfigError& e) {
      return e.messages().at(0);
    }
    return "";
  };
  SbatchJob job = fake.Job({"r-1"});
  job.out = "/scratch/my results";
  EXPECT_THAT(refusal(job), HasSubstr("results folder '/scratch/my results'"));
  EXPECT_THAT(refusal(job), HasSubstr("contains a space"));
  job.out = "/scratch/x\n#SBATCH --uid=0";
  EXPECT_THAT(refusal(job), HasSubstr("contains a newline"));
  job.out = "results/relative";
  EXPECT_THAT(refusal(job), HasSubstr("must be an absolute path"));
  job = fake.Job({"ok-1", "../../etc"});
  EXPECT_THAT(refusal(job), HasSubstr("run id '../../etc'"));
  job = fake.Job({"a'b"});
  EXPECT_THAT(refusal(job), HasSubstr("contains '''"));
  job = fake.Job({"r-1"});
  job.experiment = "x;reboot";
  EXPECT_THAT(refusal(job), HasSubstr("experiment name"));
  job = fake.Job({"r-1"});
  job.florenz = "/bin/flo\nrenz";
  EXPECT_THAT(refusal(job), HasSubstr("contains a newline"));
  SiteProfile bad = profile;
  bad.partition = "gpu\n#SBATCH --uid=0";  // as if the loader's checks were bypassed
  EXPECT_THROW(RenderSbatchScript(bad, fake.Job({"r-1"})), ConfigError);
}

// 1 node × 3 tasks under mpirun: one step for the whole share, whose rank 0 coordinates.
SiteProfile MultiTaskProfile() {
  SiteProfile profile = LocalProfile();
  profile.tasks_per_node = 3;
  profile.launcher.kind = LauncherKind::kMpirun;
  return profile;
}

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(SbatchScriptTest, MultiTaskJobRunsItsWholeShareInOneStep) {
  const FakeCluster fake(testing::TestFolder("florenz_sbatch"));
  const std::string script =
      RenderSbatchScript(MultiTaskProfile(), fake.Job({"r-1", "r-2", "r-3"}));
  EXPECT_THAT(script, HasSubstr("#SBATCH --ntasks-per-node=3\n"));
  EXPECT_THAT(script, HasSubstr("launch=(mpirun)\n"));
  EXPECT_THAT(script, HasSubstr("runs=('r-1' 'r-2' 'r-3')\n"));
  EXPECT_THAT(script, HasSubstr("export OMPI_MCA_odls_base_sigkill_timeout=30\n"));
  EXPECT_THAT(script, HasSubstr("trap on_warning USR2\n"));
  EXPECT_THAT(script, HasSubstr("trap on_terminate TERM\n"));
  EXPECT_EQ(Count(script, "\"${launch[@]}\""), 1u) << "one launcher line";
  EXPECT_THAT(script, HasSubstr("run_step \"${launch[@]}\" \"$florenz\" run \"$grid\" --out "
                                "\"$out\" --only \"$only\"\n"));
  EXPECT_THAT(script, Not(HasSubstr("for run in")));
  ASSERT_EQ(fake.Run(script, "ok"), 0) << fake.Log();
  const std::string grid = fake.Job({}).grid, out = fake.out.string();
  EXPECT_EQ(fake.Calls(),
            "florenz [run] [" + grid + "] [--out] [" + out + "] [--only] [r-1,r-2,r-3]\n");
  EXPECT_THAT(fake.Log(), HasSubstr("3 runs in one step"));
  EXPECT_THAT(fake.Log(), HasSubstr("every run of this job is finished"));
}

// A multi-node mpirun job sets Open MPI's out-of-band keepalive (a silently lost node ends the
// job in seconds, not after ten minutes); a one-node job and a profile that sets it itself
// do not get it.
TEST(SbatchScriptTest, MultiNodeMpirunJobsNoticeALostNodeInSeconds) {
  const FakeCluster fake(testing::TestFolder("florenz_sbatch"));
  const std::string keepalive =
      "export OMPI_MCA_oob_tcp_keepalive_time=2 OMPI_MCA_oob_tcp_keepalive_intvl=1 "
      "OMPI_MCA_oob_tcp_keepalive_probes=3\n";
  SiteProfile two_nodes = MultiTaskProfile();
  two_nodes.nodes = 2;
  EXPECT_THAT(RenderSbatchScript(two_nodes, fake.Job({"r-1"})), HasSubstr(keepalive));
  EXPECT_THAT(RenderSbatchScript(MultiTaskProfile(), fake.Job({"r-1"})),
              Not(HasSubstr("keepalive")));
  two_nodes.environment["OMPI_MCA_oob_tcp_keepalive_time"] = "5";
  const std::string own = RenderSbatchScript(two_nodes, fake.Job({"r-1"}));
  EXPECT_THAT(own, Not(HasSubstr(keepalive)));
  EXPECT_THAT(own, HasSubstr("export OMPI_MCA_oob_tcp_keepalive_time='5'\n"));
}

// A step of a 2-node job that ends abnormally (mpirun's 205 after a node was lost): the script
// asks each node of the job for a one-task step; when one does not answer, the job requeues
// itself and resumes from its checkpoints; when every node answers, the failure is florenz's
// and the job stops with its code. A one-node job asks no node.
TEST(SbatchScriptTest, AStepThatLostANodeRequeuesTheJob) {
  SiteProfile two_nodes = MultiTaskProfile();
  two_nodes.nodes = 2;
  const std::map<std::string, std::string> env = {{"SLURM_JOB_NUM_NODES", "2"},
                                                  {"SLURM_JOB_NODELIST", "n1,n2"}};
  {
    const FakeCluster fake(testing::TestFolder("florenz_sbatch_lost"));
    const std::string script = RenderSbatchScript(two_nodes, fake.Job({"r-1", "r-2"}));
    auto lost = env;
    lost["FAKE_LOST"] = "n2";
    EXPECT_EQ(fake.Run(script, "lost", lost), 0) << fake.Log();
    EXPECT_THAT(fake.Calls(), HasSubstr("srun on n1\n"));
    EXPECT_THAT(fake.Calls(), HasSubstr("srun on n2\n"));
    EXPECT_THAT(fake.Calls(), HasSubstr("scontrol requeue 77\n"));
    EXPECT_THAT(fake.Log(), HasSubstr("the step ended with 205 and node(s) n2 of this job no "
                                      "longer answer"));
  }
  {
    const FakeCluster fake(testing::TestFolder("florenz_sbatch_healthy"));
    const std::string script = RenderSbatchScript(two_nodes, fake.Job({"r-1", "r-2"}));
    EXPECT_EQ(fake.Run(script, "lost", env), 205) << fake.Log();
    EXPECT_THAT(fake.Calls(), HasSubstr("srun on n2\n"));
    EXPECT_THAT(fake.Calls(), Not(HasSubstr("scontrol requeue")));
    EXPECT_THAT(fake.Log(), HasSubstr("florenz run exited 205; the job stops"));
  }
  {
    // srun exits 0 after a failed launch on a node: the runs are not finished, the job requeues.
    const FakeCluster fake(testing::TestFolder("florenz_sbatch_launch"));
    const std::string script = RenderSbatchScript(two_nodes, fake.Job({"r-1", "r-2"}));
    auto lost = env;
    lost["FAKE_LOST"] = "n2";
    EXPECT_EQ(fake.Run(script, "unfinished", lost), 0) << fake.Log();
    EXPECT_THAT(fake.Log(), HasSubstr("the step exited 0 but 2 runs are not finished (r-1 r-2)"));
    EXPECT_THAT(fake.Calls(), HasSubstr("scontrol requeue 77\n"));
  }
  {
    // ... and where every node answers, the job fails instead of claiming success.
    const FakeCluster fake(testing::TestFolder("florenz_sbatch_unfinished"));
    const std::string script = RenderSbatchScript(two_nodes, fake.Job({"r-1", "r-2"}));
    EXPECT_EQ(fake.Run(script, "unfinished", env), 1) << fake.Log();
    EXPECT_THAT(fake.Log(), Not(HasSubstr("every run of this job is finished")));
  }
  {
    const FakeCluster fake(testing::TestFolder("florenz_sbatch_one_node"));
    const std::string script = RenderSbatchScript(MultiTaskProfile(), fake.Job({"r-1"}));
    EXPECT_EQ(fake.Run(script, "lost"), 205) << fake.Log();
    EXPECT_THAT(fake.Calls(), Not(HasSubstr("srun on")));
  }
}

TEST(SbatchScriptTest, MultiTaskWarningIsForwardedToTheStepAndTheJobRequeues) {
  const FakeCluster fake(testing::TestFolder("florenz_sbatch"));
  const std::string script = RenderSbatchScript(MultiTaskProfile(), fake.Job({"r-1", "r-2"}));
  const pid_t job = fake.Start(script, "wait");
  ASSERT_TRUE(fake.WaitFor("[r-1,r-2]"));
  kill(job, SIGUSR2);
  EXPECT_EQ(FakeCluster::Wait(job), 0) << fake.Log();
  EXPECT_EQ(Count(fake.Calls(), "florenz [run]"), 1u) << fake.Calls();
  EXPECT_THAT(fake.Calls(), HasSubstr("florenz got USR2\nscontrol requeue 77\n"));
  EXPECT_THAT(fake.Log(), HasSubstr("SIGUSR2: the time limit is near"));
}

TEST(SbatchScriptTest, MultiTaskExitCodesReachTheJob) {
  {
    const FakeCluster fake(testing::TestFolder("florenz_sbatch_requeue"));
    const std::string script = RenderSbatchScript(MultiTaskProfile(), fake.Job({"r-1", "r-2"}));
    EXPECT_EQ(fake.Run(script, "requeue"), 0) << fake.Log();
    EXPECT_THAT(fake.Calls(), HasSubstr("scontrol requeue 77"));
  }
  {
    const FakeCluster fake(testing::TestFolder("florenz_sbatch_failed"));
    const std::string script = RenderSbatchScript(MultiTaskProfile(), fake.Job({"r-1", "r-2"}));
    EXPECT_EQ(fake.Run(script, "failed"), 3) << fake.Log();
    EXPECT_THAT(fake.Calls(), Not(HasSubstr("scontrol")));
  }
  {
    const FakeCluster fake(testing::TestFolder("florenz_sbatch_term"));
    const std::string script = RenderSbatchScript(MultiTaskProfile(), fake.Job({"r-1", "r-2"}));
    const pid_t job = fake.Start(script, "wait");
    ASSERT_TRUE(fake.WaitFor("[r-1,r-2]"));
    kill(job, SIGTERM);
    EXPECT_EQ(FakeCluster::Wait(job), 4) << fake.Log();
    EXPECT_THAT(fake.Calls(), HasSubstr("florenz got TERM"));
    EXPECT_THAT(fake.Calls(), Not(HasSubstr("scontrol")));
  }
}

TEST(SbatchScriptTest, MultiTaskNeedsALauncherThatFormsOneMpiJob) {
  const FakeCluster fake(testing::TestFolder("florenz_sbatch"));
  SiteProfile profile = MultiTaskProfile();
  profile.launcher.kind = LauncherKind::kNone;
  EXPECT_THROW(RenderSbatchScript(profile, fake.Job({"r-1"})), ConfigError);
  profile.launcher.kind = LauncherKind::kSrun;
  profile.launcher.mpi = "none";
  EXPECT_THROW(RenderSbatchScript(profile, fake.Job({"r-1"})), ConfigError);
  profile.launcher.mpi = "pmix";
  EXPECT_THAT(RenderSbatchScript(profile, fake.Job({"r-1"})),
              HasSubstr("launch=(srun --mpi=pmix)\n"));
}

}  // namespace
}  // namespace florenz::cluster
