// Decoding speed (workers/model/generation.h): 24 greedy tokens for a batch of 64 with the KV
// cache (DecodeStep) against recomputing the decoder over the whole prefix each step (Decode),
// on a randomly initialised preset with quickstart-like symbolic inputs; plus Generate's beam 4.
//
//   build/bench/bench_generation [--threads N] [--repeats N] [--preset s]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "workers/data/vocabulary.h"
#include "workers/model/batch.h"
#include "workers/model/encoder_decoder.h"
#include "workers/model/generation.h"

// As bench_model_step: Debian's OpenBLAS pool ignores torch::set_num_threads.
extern "C" void openblas_set_num_threads(int threads) __attribute__((weak));

namespace {

using florenz::model::Batch;
using florenz::model::EncoderDecoder;
using Clock = std::chrono::steady_clock;

constexpr int64_t kBatch = 64, kTokens = 24, kVocab = 512;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Symbolic images of 2 objects (F = 22) and a 2-token prompt, as the quickstart's captions.
Batch RandomBatch() {
  Batch batch;
  batch.image = torch::rand({kBatch, 2, 22});
  batch.image_mask = torch::ones({kBatch, 2}, torch::kBool);
  batch.prompt = torch::randint(6, kVocab, {kBatch, 2}, torch::kInt64);
  batch.decoder_input = torch::ones({kBatch, 1}, torch::kInt64);
  batch.target = torch::full({kBatch, 1}, int64_t{2}, torch::kInt64);
  return batch;
}

// kTokens greedy steps, never stopping at <eos>, so both sides do the same number of steps.
torch::Tensor CachedGreedy(EncoderDecoder& model, const Batch& batch) {
  auto [memory, mask] = model->Encode(batch);
  florenz::model::DecoderCache cache = model->StartDecoding(memory, mask);
  torch::Tensor tokens = torch::full({kBatch}, int64_t{florenz::data::Vocabulary::kBos});
  std::vector<torch::Tensor> out;
  for (int64_t t = 0; t < kTokens; ++t) {
    tokens = model->DecodeStep(tokens, &cache).argmax(-1);  // [B]
    out.push_back(tokens);
  }
  return torch::stack(out, 1);
}

torch::Tensor UncachedGreedy(EncoderDecoder& model, const Batch& batch) {
  auto [memory, mask] = model->Encode(batch);
  torch::Tensor input = torch::full({kBatch, 1}, int64_t{florenz::data::Vocabulary::kBos});
  for (int64_t t = 0; t < kTokens; ++t) {
    torch::Tensor next = model->Decode(input, memory, mask).select(1, t).argmax(-1);  // [B]
    input = torch::cat({input, next.unsqueeze(1)}, 1);
  }
  return input.narrow(1, 1, kTokens);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, repeats = 5;
  std::string preset = "s";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--preset")) preset = argv[i + 1];
  }
  torch::set_num_threads(threads);
  if (openblas_set_num_threads) openblas_set_num_threads(threads);
  torch::manual_seed(1);
  florenz::ModelSize size;
  std::string error;
  if (!size.ApplyPreset(preset, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  size.Resolve();
  florenz::ModelOptions options;
  options.vocab_size = kVocab;
  EncoderDecoder model(size, options, 22, 1);
  const Batch batch = RandomBatch();
  torch::NoGradGuard no_grad;
  if (!torch::equal(CachedGreedy(model, batch), UncachedGreedy(model, batch))) {
    std::fprintf(stderr, "cached and uncached greedy disagree\n");
    return 1;
  }
  florenz::model::GenerationOptions beam;
  beam.max_length = kTokens;
  std::vector<double> cached, uncached, beam4;
  for (int r = 0; r < repeats; ++r) {
    Clock::time_point start = Clock::now();
    CachedGreedy(model, batch);
    cached.push_back(Seconds(start));
    start = Clock::now();
    UncachedGreedy(model, batch);
    uncached.push_back(Seconds(start));
    start = Clock::now();
    florenz::model::Generate(model, batch, beam);
    beam4.push_back(Seconds(start));
  }
  std::printf("preset %s, batch %ld, %ld tokens, %d thread(s), median of %d\n", preset.c_str(),
              static_cast<long>(kBatch), static_cast<long>(kTokens), threads, repeats);
  std::printf("greedy, KV cache:   %.4f s/batch\n", Median(cached));
  std::printf("greedy, recomputed: %.4f s/batch\n", Median(uncached));
  std::printf("speed-up:           %.2fx\n", Median(uncached) / Median(cached));
  std::printf("beam 4, KV cache (Generate, stops at <eos>): %.4f s/batch\n", Median(beam4));
  return 0;
}
