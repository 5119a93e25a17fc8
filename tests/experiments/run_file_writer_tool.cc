// run_file_writer_tool: writes one run file slowly from its own process, so that tests can read
// it live, h5dump it live and kill -9 it (tests/experiments/run_file_test.cc). The values are a
// pure function of the row index, repeated in the test.
//
// Usage: run_file_writer_tool OUT RUN_ID ROWS INTERVAL_MS finish|stay  (OUT: a results folder)
//   Appends ROWS train rows (row i: step 10*i, samples 320*i, loss 1/(i+1), lr 1e-3*i,
//   grad_norm 0.5+i, seconds 0.25*i) and, every 4th row, an eval row of pair "caption_es"
//   (loss 2/(i+1), cider 0.01*i), flushing after each row and sleeping INTERVAL_MS. Then
//   "finish" commits the run (final loss 1/ROWS); "stay" sleeps until killed.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>

#include "experiments/results_dir.h"
#include "experiments/run_file_writer.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s OUT RUN_ID ROWS INTERVAL_MS finish|stay\n", argv[0]);
    return 2;
  }
  const florenz::ResultsDir out(argv[1]);
  const std::string run_id = argv[2];
  const int rows = std::atoi(argv[3]);
  const auto interval = std::chrono::milliseconds(std::atoi(argv[4]));
  const std::string at_end = argv[5];
  try {
    florenz::RunConfig config;
    config.run_id = run_id;
    config.spec_yaml = "run_id: " + run_id + "\n";
    config.numbers = {{"params", 1.5e6}};
    config.strings = {{"lang", "es"}};
    florenz::RunFileLayout layout;
    layout.eval_pairs = {"caption_es"};
    layout.eval_metrics = {"loss", "cider"};
    layout.final_metrics = {"loss"};
    auto writer = florenz::RunFileWriter::Create(out, config, layout);
    for (int i = 0; i < rows; ++i) {
      writer.AppendTrain({10 * i, 320 * i, 1.0 / (i + 1), 1e-3 * i, 0.5 + i, 0.25 * i});
      if (i % 4 == 0) writer.AppendEval("caption_es", {10 * i, 320 * i, {2.0 / (i + 1), 0.01 * i}});
      writer.Flush();
      std::this_thread::sleep_for(interval);
    }
    if (at_end == "finish") {
      writer.Finish(florenz::RunStatus::kCompleted, "", {{"loss", 1.0 / rows}});
      return 0;
    }
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "run_file_writer_tool: %s\n", e.what());
    return 1;
  }
}
