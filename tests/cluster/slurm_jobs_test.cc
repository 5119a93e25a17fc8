// jobs.txt round trip, squeue / sacct parsing, and the query order (squeue, then sacct for
// the jobs squeue has forgotten) with a fake program runner.
#include "cluster/slurm_jobs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/errors.h"
#include "tests/cluster/cluster_test_util.h"

namespace florenz::cluster {
namespace {

using ::testing::HasSubstr;

TEST(SlurmJobsTest, JobsFileRoundTripsAndAppends) {
  const auto out = testing::TestFolder("florenz_jobs");
  EXPECT_TRUE(ReadJobsFile(out).empty());
  EXPECT_EQ(SlurmStatusReport(out), "") << "no jobs.txt, no section";
  AppendJobsFile(out, {{"101", 1, "/r/slurm/job-1.sbatch"}, {"102", 2, "/r/slurm/job-2.sbatch"}});
  AppendJobsFile(out, {{"205", 1, "/r/slurm/job-1.sbatch"}});
  const auto records = ReadJobsFile(out);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].job_id, "101");
  EXPECT_EQ(records[1].index, 2);
  EXPECT_EQ(records[2].job_id, "205");
  EXPECT_EQ(records[2].script, "/r/slurm/job-1.sbatch");
  EXPECT_EQ(testing::ReadText(JobsFile(out)).rfind("# ", 0), 0u) << "a header line";
}

TEST(SlurmJobsTest, AMalformedLineNamesFileAndLine) {
  const auto out = testing::TestFolder("florenz_jobs");
  testing::WriteText(JobsFile(out), "# header\n101 1 a.sbatch\n$(x) 2 b\n");
  try {
    ReadJobsFile(out);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("jobs.txt:3: expected '<job id> <k> <script>'"));
  }
}

TEST(SlurmJobsTest, ParsesSqueueAndSacct) {
  const auto q = ParseSqueue("17|RUNNING|None\n18|PENDING|BeginTime\ngarbage\n");
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].state, "RUNNING");
  EXPECT_EQ(q[0].reason, "");
  EXPECT_EQ(q[1].reason, "BeginTime");
  const auto a = ParseSacct("17|COMPLETED\n18|CANCELLED by 0\n");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].state, "CANCELLED");
  EXPECT_EQ(a[1].source, "sacct");
}

TEST(SlurmJobsTest, SqueueFirstThenSacctThenUnknownWithTheToolsMessage) {
  std::vector<std::vector<std::string>> calls;
  auto fake = [&](const std::vector<std::string>& argv) {
    calls.push_back(argv);
    ProgramResult r;
    r.started = true;
    if (argv[0] == "squeue" && argv[5] == "1") {
      r.exit_code = 0;
      r.out = "1|RUNNING|None\n";
    } else if (argv[0] == "squeue") {
      r.exit_code = 1;
      r.err = "slurm_load_jobs error: Invalid job id specified\n";
    } else {
      r.exit_code = 0;
      r.out = "2|TIMEOUT\n";
    }
    return r;
  };
  const auto states = QueryJobStates({{"1", 1, "a"}, {"2", 2, "b"}, {"3", 3, "c"}}, fake);
  ASSERT_EQ(states.size(), 3u);
  EXPECT_EQ(states[0].state, "RUNNING");
  EXPECT_EQ(states[0].source, "squeue");
  EXPECT_EQ(states[1].state, "TIMEOUT");
  EXPECT_EQ(states[1].source, "sacct");
  EXPECT_EQ(states[2].state, "UNKNOWN");
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[3][0], "sacct");
  EXPECT_EQ(calls[3][5], "2,3") << "one sacct for the jobs squeue did not list";
}

TEST(SlurmJobsTest, WithoutSlurmEveryJobIsUnknownAndSaysWhy) {
  const auto out = testing::TestFolder("florenz_jobs");
  AppendJobsFile(out, {{"7", 1, "job-1.sbatch"}});
  auto missing = [](const std::vector<std::string>& argv) {
    ProgramResult r;
    r.err = argv[0] + ": cannot run it (not installed, or not on PATH)";
    return r;
  };
  const std::string report = SlurmStatusReport(out, missing);
  EXPECT_THAT(report, HasSubstr("job 1 (id 7): UNKNOWN"));
  EXPECT_THAT(report, HasSubstr("squeue: cannot run it"));
  EXPECT_THAT(report, HasSubstr("sacct: cannot run it"));
}

TEST(SlurmJobsTest, RunProgramCapturesBothStreamsAndTheExitCode) {
  const ProgramResult r = RunProgram({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  const ProgramResult missing = RunProgram({"florenz-no-such-program"});
  EXPECT_FALSE(missing.started);
  EXPECT_THAT(missing.err, HasSubstr("cannot run it"));
  const ProgramResult quoted = RunProgram({"printf", "%s", "$(touch PWNED); `x`"});
  EXPECT_EQ(quoted.out, "$(touch PWNED); `x`") << "no shell on the way";
}

}  // namespace
}  // namespace florenz::cluster
