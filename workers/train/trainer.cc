// The training loop (see trainer.h). TrainRun reads top to bottom: set up on the run's device,
// resume, then for each step: its micro-batches from the input pipeline, forward (autocast in
// bf16) and backward each, clip, step; log, evaluate and checkpoint on their intervals;
// finally evaluate and commit.
#include "workers/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "core/build_info.h"
#include "core/errors.h"
#include "experiments/run_file_reader.h"
#include "experiments/spec_writer.h"
#include "parallel/device_reads.h"
#include "parallel/grad_norm.h"
#include "workers/model/encoder_decoder.h"
#include "workers/train/adamw_step.h"
#include "workers/train/batch_pipeline.h"
#include "workers/train/checkpoint.h"
#include "workers/train/device.h"
#include "workers/train/evaluator.h"
#include "workers/train/fault_injection.h"
#include "workers/train/gang_context.h"
#include "workers/train/learning_rate_groups.h"
#include "workers/train/lr_schedule.h"
#include "workers/train/precision.h"
#include "workers/train/stop_request.h"
#include "workers/train/thread_count.h"

namespace florenz::train {
namespace {

using Clock = std::chrono::steady_clock;

// Samples per forward/backward on one rank (training.micro_batch_size; 0 = the rank's share).
int64_t MicroBatch(const RunSpec& run) {
  const int64_t per_rank = run.spec().training.batch_size / std::max(1, run.dp);
  const int64_t micro = run.spec().training.micro_batch_size;
  return micro > 0 ? micro : per_rank;
}

RunConfig MakeRunConfig(const RunSpec& run, const data::DataSource& data, int threads,
                        const torch::Device& device) {
  const ModelSize& s = run.size();
  const TrainingOptions trained = run.Training();  // its learning-rate rule resolved
  RunConfig config;
  config.run_id = run.id;
  config.spec_yaml = SpecToYaml(run.Spec());
  config.numbers = {
      {"params", static_cast<double>(run.cost.params)},
      {"non_embedding_params", static_cast<double>(run.cost.non_embedding_params)},
      {"embedding_params", static_cast<double>(run.cost.embedding_params)},
      {"samples", static_cast<double>(run.samples())},
      {"seed", static_cast<double>(run.seed())},
      {"flops_per_sample", run.cost.forward_flops},
      {"training_flops", run.training_flops},
      {"batch_size", static_cast<double>(run.spec().training.batch_size)},
      // The rate and warm-up this size trained with.
      {"peak_learning_rate", trained.optimizer.learning_rate},
      {"warmup_samples", static_cast<double>(trained.schedule.warmup_samples)},
      {"d_model", static_cast<double>(s.d_model)},
      {"encoder_layers", static_cast<double>(s.encoder_layers)},
      {"decoder_layers", static_cast<double>(s.decoder_layers)},
      {"heads", static_cast<double>(s.heads)},
      {"ffn", static_cast<double>(s.ffn)},
      {"tensor_parallel", static_cast<double>(run.tp)},
      {"data_parallel", static_cast<double>(run.dp)},
      {"threads", static_cast<double>(threads)},
      {"micro_batch_size", static_cast<double>(MicroBatch(run))},
  };
  const DeviceDescription d = DescribeDevice(device);
  config.strings = {{"size", s.name},
                    {"experiment", run.spec().experiment.name},
                    {"device", d.device},
                    {"precision", ToString(run.spec().training.precision)},
                    {"torch_version", d.torch_version}};
  // The program that computed it (core/build_info.h): florenz's version and commit, and the
  // libraries it was built with.
  const BuildInfo build = GetBuildInfo();
  config.strings.push_back({"florenz_version", build.version});
  config.strings.push_back({"florenz_commit", build.commit});
  config.strings.push_back({"built_with", BuiltWithText(build)});
  if (device.is_cuda()) {
    config.strings.push_back({"gpu_name", d.gpu_name});
    config.strings.push_back({"cuda_version", d.cuda_version});
    config.strings.push_back({"torch_cuda_version", d.torch_cuda_version});
    config.strings.push_back({"nccl_version", d.nccl_version});
  }
  // A corpus's facts: its tokenizer's hash, its size and the epochs this budget makes.
  data.DescribeRun(run.seed(), run.samples(), &config.numbers, &config.strings);
  // Its point on the grid's hyperparameter axes: config/learning_rate, ... and config/axes
  // naming them, for `florenz fit --select` and the report's sensitivity table.
  std::string axes;
  for (const auto& [key, value] : run.axis_values) {
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    if (!value.empty() && end != nullptr && *end == '\0') {
      config.numbers.push_back({key, number});
    } else {
      config.strings.push_back({key, value});
    }
    axes += (axes.empty() ? "" : ",") + key;
  }
  if (!axes.empty()) config.strings.push_back({"axes", axes});
  if (run.spec().training.branching) {  // what this run trains itself, and where it starts
    config.numbers.push_back({"trained_samples", static_cast<double>(run.TrainedSamples())});
    config.numbers.push_back(
        {"branch_samples", static_cast<double>(run.branch_step * run.spec().training.batch_size)});
    config.strings.push_back({"trunk", run.trunk});
  }
  return config;
}

// Bad samples a run skipped (data.on_bad_sample: skip), a final metric of corpus runs.
constexpr const char* kBadSamplesSkipped = "bad_samples_skipped";

RunFileLayout MakeLayout(const data::DataSource& data, const Evaluator& evaluator) {
  RunFileLayout layout;
  for (const auto& pair : data.pairs()) layout.eval_pairs.push_back(pair.name);
  layout.eval_metrics = evaluator.MetricNames();
  layout.final_metrics = evaluator.FinalMetricNames();
  if (data.corpus() != nullptr) layout.final_metrics.push_back(kBadSamplesSkipped);
  layout.final_metrics.push_back("evaluation_seconds");
  layout.final_metrics.push_back("training_seconds");
  return layout;
}

// Copies the rows of an interrupted attempt's .partial up to `step` into `writer`, so the
// resumed run's file holds the same curve as an uninterrupted one.
void ReplayRows(const std::filesystem::path& partial, int64_t up_to_step,
                const std::vector<std::string>& metrics, RunFileWriter& writer) {
  if (!std::filesystem::exists(partial)) return;
  const RunFileReader reader = RunFileReader::Open(partial);
  const auto train = reader.ReadTrain();
  for (size_t i = 0; i < train.step.size(); ++i) {
    if (train.step[i] > up_to_step) break;
    writer.AppendTrain(TrainRecord{train.step[i], train.samples[i], train.loss[i], train.lr[i],
                                   train.grad_norm[i], train.seconds[i]});
  }
  for (const auto& pair : reader.eval_pairs()) {
    const auto eval = reader.ReadEval(pair);
    for (size_t i = 0; i < eval.step.size(); ++i) {
      if (eval.step[i] > up_to_step) break;
      std::vector<double> values;
      for (const auto& metric : metrics) {
        auto column = eval.metrics.find(metric);
        values.push_back(column == eval.metrics.end() ? std::nan("") : column->second[i]);
      }
      writer.AppendEval(pair, EvalRecord{eval.step[i], eval.samples[i], values});
    }
  }
}

// A run that began with one tokenizer never resumes with another: its token ids would mean other
// pieces. Throws RunError when the interrupted attempt's file records another tokenizer hash.
void RefuseAnotherTokenizer(const std::string& run_id, const RunConfig& config,
                            const std::vector<std::filesystem::path>& attempts) {
  std::string mine;
  for (const auto& [name, value] : config.strings) {
    if (name == "tokenizer_hash") mine = value;
  }
  for (const auto& file : attempts) {
    if (!std::filesystem::exists(file)) continue;
    const auto strings = RunFileReader::Open(file).strings();
    auto it = strings.find("tokenizer_hash");
    const std::string theirs = it == strings.end() ? "" : it->second;
    if (theirs != mine) {
      throw RunError(run_id + " was started with tokenizer " +
                     (theirs.empty() ? std::string("(none)") : theirs) +
                     " and cannot resume with tokenizer " + (mine.empty() ? "(none)" : mine) +
                     ": its checkpoint's token ids mean other pieces (restore the tokenizer, or "
                     "train it again with --retrain)");
    }
    return;
  }
}

// A new writer for `run`. With `keep_up_to_step` >= 0, the rows that the previous attempt's
// .partial holds up to that step are carried over (a resumed run); the old rows wait in the
// run's checkpoint folder until the new .partial holds them, so a kill at any moment loses
// none.
RunFileWriter ReopenRunFile(const ResultsDir& results, const RunSpec& run, const RunConfig& config,
                            const RunFileLayout& layout, int64_t keep_up_to_step) {
  const auto partial = results.PartialFile(run.id);
  const auto keep_dir = results.CheckpointDir(run.id);
  const auto old = results.PreviousAttemptFile(run.id);
  if (keep_up_to_step >= 0 && !std::filesystem::exists(old) && std::filesystem::exists(partial)) {
    std::filesystem::create_directories(keep_dir);
    std::filesystem::rename(partial, old);
  }
  RunFileWriter writer = RunFileWriter::Create(results, config, layout);
  if (keep_up_to_step >= 0) {
    ReplayRows(old, keep_up_to_step, layout.eval_metrics, writer);
    writer.Flush();
  }
  std::filesystem::remove(old);
  return writer;
}

std::vector<data::Example> Examples(const data::DataSource& data, int64_t seed, int64_t first,
                                    int64_t count) {
  std::vector<data::Example> examples;
  examples.reserve(count);
  for (int64_t i = 0; i < count; ++i) examples.push_back(data.TrainExample(seed, first + i));
  return examples;
}

// The checkpoint generation every rank of the gang has (checkpoint.h), restored into `model`
// and `optimizer`; nullopt when there is none (the run starts at step 0). The common case, every
// rank's newest file at one step, reads one file; after a kill while shards were written, or
// with a newest file that cannot be read, the ranks fall back together to the newest step all of
// them hold, and the leader says so.
std::optional<CheckpointPosition> ResumeFromCheckpoint(
    const ResultsDir& results, const std::string& run_id, const GangContext& gang,
    const torch::Device& device, torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  const std::string shard = gang.CheckpointShard();
  std::string problem;
  std::optional<CheckpointFile> newest =
      ReadCheckpoint(results, run_id, shard, Generation::kNewest, device, &problem);
  std::optional<CheckpointFile> previous;
  bool read_previous = false;
  auto read_previous_once = [&] {
    if (!read_previous)
      previous = ReadCheckpoint(results, run_id, shard, Generation::kPrevious, device, &problem);
    read_previous = true;
  };
  if (!newest) read_previous_once();
  auto step = [](const std::optional<CheckpointFile>& c) { return c ? c->position.step : -1; };
  const int64_t mine = newest ? step(newest) : step(previous);
  const std::vector<int64_t> best = gang.AllGather({mine});
  const bool agree = std::all_of(best.begin(), best.end(), [&](int64_t s) { return s == best[0]; });
  std::optional<CheckpointFile> chosen = newest ? newest : previous;
  if (!agree) {  // the same answer on every rank: all take this branch or none
    // Every rank offers both generations; the newest step all of them have wins.
    read_previous_once();
    const std::vector<int64_t> offers = gang.AllGather({step(newest), step(previous)});
    int64_t target = -1;
    for (int64_t candidate : offers) {
      if (candidate <= target) continue;
      bool everyone = true;
      for (int r = 0; r < gang.size() && everyone; ++r) {
        everyone = offers[2 * r] == candidate || offers[2 * r + 1] == candidate;
      }
      if (everyone) target = candidate;
    }
    chosen = step(newest) == target && target >= 0     ? newest
             : step(previous) == target && target >= 0 ? previous
                                                       : std::nullopt;
    if (gang.leader()) {
      std::cerr << "checkpoints of " << run_id << " disagree or cannot be read ("
                << (problem.empty() ? "a kill while the tp shards were written" : problem) << "): "
                << (chosen ? "resuming from step " + std::to_string(target) +
                                 ", the newest every shard has"
                           : std::string("no step every shard has; the run restarts from step 0"))
                << "\n";
    }
  } else if (!problem.empty() && gang.leader()) {
    std::cerr << problem << "; "
              << (chosen ? "resuming from the previous checkpoint, step " +
                               std::to_string(step(chosen))
                         : std::string("the run restarts from step 0"))
              << "\n";
  }
  if (!chosen) return std::nullopt;
  RestoreCheckpoint(*chosen, model, optimizer);
  return chosen->position;
}

// This rank's share of step `step`'s global batch, in `accumulation` micro-batches of `micro`
// samples (in page-locked memory when `pin`, so the copies to a GPU overlap its work).
StepInputs MakeStepInputs(const data::DataSource& data, const RunSpec& run, const GangContext& gang,
                          int64_t step, int64_t micro, int64_t accumulation, bool pin) {
  const ExperimentSpec& spec = run.spec();
  const int64_t batch = spec.training.batch_size;
  const int64_t first = step * batch + gang.ShardOffset(batch);
  const model::ImageLayout layout = model::LayoutOf(spec.data, spec.model.patch_size);
  StepInputs micro_batches;
  for (int64_t k = 0; k < accumulation; ++k) {
    model::Batch b = model::Collate(Examples(data, run.seed(), first + k * micro, micro), layout);
    micro_batches.push_back(pin ? model::Pinned(b) : std::move(b));
  }
  return micro_batches;
}

// A trunk at step `done` of one of its branches' start: writes that run's rows so far (a copy
// of the trunk's .partial, as a resumed run's previous attempt) and then its checkpoint, exactly
// what the branch would hold had it trained alone and checkpointed here; the branch then starts
// as a resumed run. Skipped (false) when the branch already has a checkpoint or a finished file
// of its own — a trunk resumed from before a branch point computes the same bits again.
bool SeedBranch(const ResultsDir& results, const std::string& branch, int64_t done, int64_t samples,
                model::EncoderDecoder& model, torch::optim::Optimizer& optimizer, GangContext& gang,
                RunFileWriter* writer) {
  const std::string shard = gang.CheckpointShard();
  const bool has_own = results.IsFinished(branch) ||
                       std::filesystem::exists(results.CheckpointFile(branch, shard, false));
  if (gang.Any(has_own)) return false;
  if (writer != nullptr) {
    writer->Flush();
    const auto rows = results.PreviousAttemptFile(branch);
    std::filesystem::create_directories(rows.parent_path());
    CopyFileAtomically(writer->partial_path(), rows);  // never through a link at `rows`
  }
  gang.Barrier();  // the rows before the checkpoint: a checkpoint never lacks its rows
  if (gang.SavesCheckpoint()) {
    SaveCheckpoint(results, branch, *model, optimizer, CheckpointPosition{done, samples}, shard);
  }
  gang.Barrier();
  return true;
}

// True when a multiple of `interval` (> 0) lies in (before, after].
bool Crossed(int64_t interval, int64_t before, int64_t after) {
  return interval > 0 && before / interval != after / interval;
}

// Forward and backward of every micro-batch of a step; gradients accumulate, and the
// data-parallel all-reduce starts only during the last backward (GangContext::SyncGradients).
// Returns this rank's mean loss over its share of the batch, on the device: nothing is read
// to the host here.
torch::Tensor ForwardBackward(model::EncoderDecoder& model, GangContext& gang,
                              const std::vector<torch::Tensor>& params,
                              const StepInputs& micro_batches, Precision precision,
                              const torch::Device& device, bool pin) {
  const int64_t accumulation = static_cast<int64_t>(micro_batches.size());
  gang.ZeroGrad(params);
  torch::Tensor step_loss;  // this rank's mean over its share of the batch
  for (int64_t k = 0; k < accumulation; ++k) {
    const model::Batch batch_k = model::ToDevice(micro_batches[k], device, /*non_blocking=*/pin);
    torch::Tensor loss;
    {
      AutocastScope autocast(precision, device);
      loss = model->SampleLoss(batch_k).mean();
    }
    if (accumulation > 1) loss = loss / static_cast<double>(accumulation);
    step_loss = k == 0 ? loss.detach() : step_loss + loss.detach();
    gang.SyncGradients(k + 1 == accumulation);
    loss.backward();
  }
  // Gradients averaged over dp first: the loss's all-reduce then never runs beside the
  // buckets' (NCCL serves one communicator's collectives in one order on every rank).
  gang.FinishBackward();
  return step_loss;
}

// The faults a test injects at step `step` (1-based; fault_injection.h): a diverge fault
// throws as a diverged run would. Host-only: no device read.
void InjectFaults(const std::string& run_id, int64_t step, bool resumed) {
  const Fault fault = FaultAt(run_id, step);
  if (fault.kind == FaultKind::kNone || (fault.once && resumed)) return;
  if (fault.kind == FaultKind::kDiverge) {
    throw RunError("diverged at step " + std::to_string(step) + " (loss = nan)");
  }
  RaiseFault(fault, run_id, step);
}

// Throws RunError when `loss`, read at step `step`, is not finite: the run diverged (at this
// step or since the previous check; losses are read only where the run logs, evaluates or
// checkpoints, so a NaN never reaches a checkpoint).
void CheckFinite(int64_t step, double loss) {
  if (std::isfinite(loss)) return;
  std::ostringstream reason;
  reason << "diverged at step " << step << " (loss = " << loss << ")";
  throw RunError(reason.str());
}

// The evaluations of a run: timed apart from training, each written to the gang leader's run
// file (`writer`; null on the other ranks).
class RunEvaluations {
 public:
  // `dp`: the data-parallel communicator (null at dp = 1); each replica scores its share.
  RunEvaluations(const Evaluator& evaluator, RunFileWriter* writer, Communicator* dp)
      : evaluator_(evaluator), writer_(writer), dp_(dp), metric_names_(evaluator.MetricNames()) {}

  EvalTable Evaluate(model::EncoderDecoder& model, int64_t step, int64_t samples, bool final) {
    const auto started = Clock::now();
    const EvalTable table = evaluator_.Evaluate(model, final, dp_);
    seconds_ += std::chrono::duration<double>(Clock::now() - started).count();
    for (const auto& [pair, metrics] : table) {
      if (writer_ == nullptr) break;
      std::vector<double> values;
      for (const auto& name : metric_names_) {
        auto it = metrics.find(name);
        values.push_back(it == metrics.end() ? std::nan("") : it->second);
      }
      writer_->AppendEval(pair, EvalRecord{step, samples, values});
    }
    return table;
  }
  double seconds() const { return seconds_; }

 private:
  const Evaluator& evaluator_;
  RunFileWriter* writer_;
  Communicator* dp_;
  std::vector<std::string> metric_names_;
  double seconds_ = 0;
};

// A completed run's outcome before its file is committed: the final metrics with the attempt's
// wall-clock split into evaluation and training (a resumed run counts from its restart), and
// the input pipeline's and the gang's counters.
RunOutcome CompletedOutcome(std::map<std::string, double> final_metrics, double evaluation_seconds,
                            double seconds, const BatchPipeline& inputs, const GangContext& gang) {
  RunOutcome outcome;
  outcome.status = RunStatus::kCompleted;
  outcome.final_metrics = std::move(final_metrics);
  outcome.final_metrics["evaluation_seconds"] = evaluation_seconds;
  outcome.final_metrics["training_seconds"] = seconds - evaluation_seconds;
  outcome.evaluation_seconds = evaluation_seconds;
  outcome.input_stall_seconds = inputs.stall_seconds();
  outcome.gradient_allreduces = gang.GradientAllReduces();
  outcome.gradient_buckets = gang.GradientBucketCount();
  return outcome;
}

}  // namespace

RunOutcome TrainRun(const RunSpec& run, const data::DataSource& data, const RunContext& context) {
  const ExperimentSpec& spec = run.spec();
  // The rate and warm-up of this size (experiments/learning_rate_rule.h).
  const TrainingOptions t = run.Training();
  const int threads = ResolveThreadCount(context.threads);
  SetComputeThreads(threads);
  const torch::Device device(context.device.empty() ? std::string("cpu") : context.device);
  UseDeviceInThisThread(device);
  const MatmulPrecisionScope matmul_precision(t.precision, device);  // tf32: for the whole run
  GangContext gang(context.groups, device);
  gang.CheckLayout(run.id, run.tp, run.dp, t.batch_size, t.micro_batch_size);

  // The model (this rank's tensor-parallel shard), built on the CPU so that its initial weights
  // are the same bits on every device, then moved; optimizer and schedule of this run.
  model::EncoderDecoder model(run.size(), spec.model,
                              model::LayoutOf(spec.data, spec.model.patch_size).features,
                              static_cast<uint64_t>(run.seed()), gang.tensor_parallel());
  model->to(device);
  const std::vector<torch::Tensor> params = model->parameters();
  const ParameterSets clipped = ClassifyParameters(*model);
  gang.AttachGradients(params);
  // One group for a standard model; muP's hidden matrices in a group of their own, at the rate
  // × base_width / d_model (learning_rate_groups.h).
  LearningRateGroups lr_groups = MakeLearningRateGroups(*model, spec.model, run.size());
  torch::optim::AdamW optimizer(std::move(lr_groups.groups),
                                torch::optim::AdamWOptions(t.optimizer.learning_rate)
                                    .betas({t.optimizer.beta1, t.optimizer.beta2})
                                    .eps(t.optimizer.epsilon)
                                    .weight_decay(t.optimizer.weight_decay));
  const int64_t batch = t.batch_size;
  const int64_t steps = std::max<int64_t>(1, run.samples() / batch);
  // This rank's share of a step's batch, in `accumulation` micro-batches of `micro` samples.
  const int64_t micro = MicroBatch(run);
  const int64_t accumulation = gang.ShardCount(batch) / micro;
  const LrSchedule schedule(t, steps);
  const Evaluator evaluator(spec, data);

  // Resume: the checkpoint restores model, optimizer and position onto this rank's device;
  // the old .partial gives the rows logged up to it.
  const ResultsDir& results = *context.results;
  const auto resumed = ResumeFromCheckpoint(results, run.id, gang, device, *model, optimizer);
  const int64_t start_step = resumed ? resumed->step : 0;
  RunConfig config = MakeRunConfig(run, data, threads, device);
  // Where the gang ran (this attempt): its ranks' hosts in gang order, g = d·tp + t.
  std::string hosts;
  for (const std::string& host : gang.HostNames()) hosts += (hosts.empty() ? "" : ",") + host;
  config.strings.push_back({"hosts", hosts});
  if (resumed) {  // every rank: all of them refuse together
    RefuseAnotherTokenizer(run.id, config,
                           {results.PreviousAttemptFile(run.id), results.PartialFile(run.id)});
    gang.Barrier();  // every rank has read the files before the leader moves them
  }
  std::optional<RunFileWriter> writer;  // the gang leader's
  if (gang.leader()) {
    writer.emplace(ReopenRunFile(results, run, config, MakeLayout(data, evaluator),
                                 resumed ? start_step : -1));
  }
  auto flush = [&] {
    if (writer) writer->Flush();
  };
  auto save_checkpoint = [&](int64_t done, int64_t samples) {
    flush();
    if (gang.SavesCheckpoint()) {
      SaveCheckpoint(results, run.id, *model, optimizer, CheckpointPosition{done, samples},
                     gang.CheckpointShard());
    }
    gang.Barrier();  // every shard written before any rank goes on
  };

  const int64_t bad_before = data.BadSamplesSkipped();
  const auto started = Clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(Clock::now() - started).count(); };
  const int64_t eval_every = spec.evaluation.interval > 0 ? spec.evaluation.interval : 0;
  const int64_t checkpoint_every = spec.execution.checkpoint_interval;
  RunEvaluations evaluations(evaluator, writer ? &*writer : nullptr, gang.dp_communicator());

  // The input pipeline: this rank's micro-batches of each step, made ahead by
  // context.data_threads background threads.
  const bool pin = device.is_cuda();
  BatchPipeline inputs(
      [&](int64_t step) {
        UseDeviceInThisThread(device);  // pinned memory belongs to the rank's GPU
        return MakeStepInputs(data, run, gang, step, micro, accumulation, pin);
      },
      start_step, steps, context.data_threads);

  model->train();
  for (int64_t step = start_step; step < steps; ++step) {
    const StepInputs micro_batches = inputs.Next();
    const double lr = schedule.At(step);
    SetLearningRate(optimizer, lr, lr_groups.multipliers);
    const torch::Tensor local_loss =
        ForwardBackward(model, gang, params, micro_batches, t.precision, device, pin);
    InjectFaults(run.id, step + 1, resumed.has_value());
    const torch::Tensor grad_norm =
        ClipGradNorm(clipped, t.grad_clip > 0 ? t.grad_clip : 1e30, gang.tensor_parallel());
    StepAdamW(optimizer);  // fused on CUDA; exactly AdamW::step() on the CPU

    const int64_t done = step + 1, samples = done * batch;
    const bool log = done % t.log_interval == 0 || done == steps;
    const bool evaluate = done < steps && Crossed(eval_every, samples - batch, samples);
    const bool checkpoint = done < steps && Crossed(checkpoint_every, samples - batch, samples);
    const bool branch = std::any_of(run.branches.begin(), run.branches.end(),
                                    [&](const auto& b) { return b.second == done; });
    // SIGTERM / SIGUSR2 on any rank: the whole gang checkpoints at this step and exits for
    // requeue (agreed over MPI on the host; acted on below, after this step's other work).
    const bool stop = done < steps && gang.Any(StopRequested());
    // The step's one device read, only where the run logs or keeps its state: the loss
    // (averaged over dp) and the gradient norm. Every other step reads nothing, so the host
    // runs ahead of the device; a divergence is caught here, before any checkpoint.
    if (log || evaluate || checkpoint || branch || stop) {
      const torch::Tensor mean_loss = gang.MeanLoss(local_loss);
      const std::vector<double> read =
          ReadDoubles(torch::cat({mean_loss, grad_norm.to(mean_loss.device())}));
      const double loss_value = read[0], norm_value = read[1];
      CheckFinite(done, loss_value);
      if (writer && log) {
        writer->AppendTrain(TrainRecord{done, samples, loss_value, lr, norm_value, seconds()});
        writer->Flush();
        if (context.on_progress) {
          const double elapsed = seconds();
          context.on_progress(TrainProgress{done, steps, samples, steps * batch, loss_value,
                                            (done - start_step) * batch / std::max(1e-9, elapsed),
                                            elapsed, resumed.has_value()});
        }
      }
    }
    if (evaluate) {
      evaluations.Evaluate(model, done, samples, /*final=*/false);
      flush();
    }
    if (checkpoint) save_checkpoint(done, samples);
    for (const auto& [branch, branch_step] : run.branches) {
      if (done != branch_step) continue;
      if (SeedBranch(results, branch, done, samples, model, optimizer, gang,
                     writer ? &*writer : nullptr) &&
          gang.leader() && context.on_branch_ready) {
        context.on_branch_ready(branch);
      }
    }
    if (stop) {
      save_checkpoint(done, samples);
      throw RunInterrupted(run.id, done, StopSignal());
    }
  }

  if (context.on_trained) context.on_trained(*model);
  const EvalTable final_table = evaluations.Evaluate(model, steps, steps * batch, /*final=*/true);
  std::map<std::string, double> final_metrics = evaluator.FinalMetrics(final_table);
  if (data.corpus() != nullptr) {  // every rank's skipped samples (this attempt's)
    int64_t skipped = 0;
    for (int64_t n : gang.AllGather({data.BadSamplesSkipped() - bad_before})) skipped += n;
    final_metrics[kBadSamplesSkipped] = static_cast<double>(skipped);
  }
  RunOutcome outcome =
      CompletedOutcome(std::move(final_metrics), evaluations.seconds(), seconds(), inputs, gang);
  if (writer) outcome.file = writer->Finish(RunStatus::kCompleted, "", outcome.final_metrics);
  outcome.seconds = seconds();
  gang.Barrier();  // no rank still reads its checkpoint shard
  if (gang.leader())
    std::filesystem::remove_all(results.CheckpointDir(run.id));  // the run file supersedes it
  return outcome;
}

std::filesystem::path CommitFailedRun(const RunSpec& run, const data::DataSource& data,
                                      const ResultsDir& results, const std::string& reason) {
  const Evaluator evaluator(run.spec(), data);
  RunFileWriter writer =
      ReopenRunFile(results, run, MakeRunConfig(run, data, ResolveThreadCount(0), torch::kCPU),
                    MakeLayout(data, evaluator), INT64_MAX);
  const auto file = writer.Finish(RunStatus::kFailed, reason, {});
  std::filesystem::remove_all(results.CheckpointDir(run.id));
  return file;
}

}  // namespace florenz::train
