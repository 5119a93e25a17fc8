// Greedy and beam-search decoding (generation.h). The tensors hold one row per open sequence
// (beams flattened into the batch dimension), and so does the bookkeeping: scores, emitted
// tokens, finished hypotheses and which sample a row belongs to live on the model's device, so
// a step queues work without waiting for it. The host reads which samples are still open only
// to drop finished ones from the batch (after every step on the CPU, where a read costs
// nothing and the batch shapes are the ones every CPU result so far was computed with; every
// few steps elsewhere), and reads the outputs once at the end, all through device_reads.h.
#include "workers/model/generation.h"

#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "core/errors.h"
#include "parallel/device_reads.h"
#include "workers/data/vocabulary.h"

namespace florenz::model {

namespace {

using data::Vocabulary;
using Sequences = std::vector<std::vector<int32_t>>;

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

void Validate(int64_t samples, int beam_size, int max_length, const Sequences& forced_prefix) {
  if (beam_size < 1) throw RunError("generation: beam_size " + std::to_string(beam_size) + " < 1");
  if (max_length < 1) {
    throw RunError("generation: max_length " + std::to_string(max_length) + " < 1");
  }
  if (!forced_prefix.empty() && static_cast<int64_t>(forced_prefix.size()) != samples) {
    throw RunError("generation: " + std::to_string(forced_prefix.size()) +
                   " forced prefixes for a batch of " + std::to_string(samples));
  }
  for (const auto& prefix : forced_prefix) {
    for (int32_t id : prefix) {
      if (id < 0 || id == Vocabulary::kPad || id == Vocabulary::kBos || id == Vocabulary::kEos) {
        throw RunError("generation: forced prefix token " + std::to_string(id) +
                       " is <pad>, <bos>, <eos> or negative");
      }
    }
  }
}

// Away from the CPU, the steps after which the host checks for finished samples: a batch whose
// samples all finished early stops within this many steps, at one read per check.
constexpr int kCheckEvery = 8;

// Whether the host reads which samples are open after `step` (not after the last one).
bool CheckAfter(int step, int max_length, const torch::Device& device) {
  return step + 1 < max_length && (device.is_cpu() || (step + 1) % kCheckEvery == 0);
}

torch::TensorOptions Int64On(const torch::Device& device) {
  return torch::TensorOptions().dtype(torch::kInt64).device(device);
}

// The token each sample must emit at each step, −1 where it is free: [B, max_length] on
// `device` (one copy to the device per batch), or undefined without forced prefixes.
torch::Tensor ForcedTable(const Sequences& forced_prefix, int max_length,
                          const torch::Device& device) {
  if (forced_prefix.empty()) return torch::Tensor();
  const int64_t n = static_cast<int64_t>(forced_prefix.size());
  torch::Tensor table = torch::full({n, max_length}, int64_t{-1}, torch::kInt64);
  int64_t* out = table.data_ptr<int64_t>();
  for (int64_t s = 0; s < n; ++s) {
    const auto& prefix = forced_prefix[s];
    for (size_t t = 0; t < prefix.size() && static_cast<int>(t) < max_length; ++t) {
      out[s * max_length + static_cast<int64_t>(t)] = prefix[t];
    }
  }
  return table.to(device);
}

// Log-probabilities [R, V] (float32) of the next token of each row after feeding tokens [R];
// the tokens `never` (<pad> and <bos>) are ruled out (−inf) after the softmax, so the others
// keep the model's values.
torch::Tensor NextLogProbs(EncoderDecoder& model, const torch::Tensor& tokens, DecoderCache* cache,
                           const torch::Tensor& never) {
  torch::Tensor log_probs = torch::log_softmax(model->DecodeStep(tokens, cache).to(torch::kFloat32),
                                               -1);  // [R, V]
  return log_probs.index_fill_(1, never, -std::numeric_limits<float>::infinity());
}

torch::Tensor NeverTokens(const torch::Device& device) {
  return torch::tensor({int64_t{Vocabulary::kPad}, int64_t{Vocabulary::kBos}}, torch::kInt64)
      .to(device);
}

// The indices of the true entries of `open` [A] (bool, any device): one counted read.
std::vector<int64_t> OpenIndices(const torch::Tensor& open) {
  const std::vector<int64_t> flags = ReadInt64s(open);
  std::vector<int64_t> indices;
  for (size_t i = 0; i < flags.size(); ++i) {
    if (flags[i] != 0) indices.push_back(static_cast<int64_t>(i));
  }
  return indices;
}

// Rows [B, L] of emitted tokens, each ended by its first <eos> (or full), read in one go.
Sequences ReadSequences(const torch::Tensor& tokens) {
  const int64_t n = tokens.size(0), length = tokens.size(1);
  const std::vector<int64_t> all = ReadInt64s(tokens.reshape({-1}));
  Sequences out(n);
  for (int64_t s = 0; s < n; ++s) {
    for (int64_t t = 0; t < length; ++t) {
      const int64_t token = all[s * length + t];
      if (token == Vocabulary::kEos) break;
      out[s].push_back(static_cast<int32_t>(token));
    }
  }
  return out;
}

}  // namespace

Sequences GreedySearch(EncoderDecoder& model, const Batch& batch, int max_length,
                       const Sequences& forced_prefix) {
  const int64_t n = batch.size();
  Validate(n, 1, max_length, forced_prefix);
  torch::NoGradGuard no_grad;
  if (n == 0) return Sequences();
  auto [memory, mask] = model->Encode(batch);  // [B, E, C], [B, E]
  const torch::Device device = memory.device();
  const torch::TensorOptions i64 = Int64On(device);
  DecoderCache cache = model->StartDecoding(memory, mask);
  const torch::Tensor forced = ForcedTable(forced_prefix, max_length, device);  // [B, L]
  const torch::Tensor never = NeverTokens(device);
  // Per open row r: its sample, whether it has not emitted <eos>, the token it was fed.
  torch::Tensor sample = torch::arange(n, i64);                             // [R]
  torch::Tensor open = torch::ones({n}, i64.dtype(torch::kBool));           // [R]
  torch::Tensor tokens = torch::full({n}, int64_t{Vocabulary::kBos}, i64);  // [R]
  // What each sample emitted; <eos> from its end on.
  torch::Tensor emitted = torch::full({n, max_length}, int64_t{Vocabulary::kEos}, i64);  // [B, L]
  for (int step = 0; step < max_length; ++step) {
    torch::Tensor token = NextLogProbs(model, tokens, &cache, never).argmax(-1);  // [R]
    if (forced.defined()) {
      const torch::Tensor f = forced.index_select(0, sample).select(1, step);
      token = torch::where(f >= 0, f, token);
    }
    token = torch::where(open, token, torch::full_like(token, Vocabulary::kEos));
    emitted.select(1, step).index_copy_(0, sample, token);
    open = open & (token != Vocabulary::kEos);
    tokens = token;
    if (!CheckAfter(step, max_length, device)) continue;
    const std::vector<int64_t> keep = OpenIndices(open);
    if (keep.empty()) break;
    if (static_cast<int64_t>(keep.size()) == open.size(0)) continue;
    // Finished samples leave the batch.
    const torch::Tensor rows = torch::tensor(keep, torch::kInt64).to(device);
    cache.Select(rows);
    sample = sample.index_select(0, rows);
    open = open.index_select(0, rows);
    tokens = tokens.index_select(0, rows);
  }
  return ReadSequences(emitted);
}

Sequences BeamSearch(EncoderDecoder& model, const Batch& batch, int beam_size, int max_length,
                     const Sequences& forced_prefix) {
  const int64_t n = batch.size(), k = beam_size;
  Validate(n, beam_size, max_length, forced_prefix);
  torch::NoGradGuard no_grad;
  if (n == 0) return Sequences();
  auto [memory, mask] = model->Encode(batch);  // [B, E, C], [B, E]
  const torch::Device device = memory.device();
  const torch::TensorOptions i64 = Int64On(device);
  const torch::TensorOptions f64 = i64.dtype(torch::kFloat64);
  DecoderCache cache = model->StartDecoding(memory, mask);
  const torch::Tensor forced = ForcedTable(forced_prefix, max_length, device);  // [B, L]
  const torch::Tensor never = NeverTokens(device);
  // Rows are sample-major: row a·K + j is beam j of the a-th open sample. All K beams start
  // as <bos>; only beam 0 is live (the others score −inf) so the first step's K best are
  // distinct.
  cache.Select(torch::arange(n, i64).repeat_interleave(k));
  // Per open sample a (A of them): its sample, and whether it may still improve.
  torch::Tensor sample = torch::arange(n, i64);                    // [A]
  torch::Tensor open = torch::ones({n}, i64.dtype(torch::kBool));  // [A]
  // Per row: the beam's summed log-probability, its tokens (<eos> after them), its last token.
  torch::Tensor score = torch::full({n, k}, kNegInf, f64);
  score.select(1, 0).fill_(0);
  score = score.view({-1});  // [R]
  torch::Tensor history = torch::full({n * k, max_length}, int64_t{Vocabulary::kEos}, i64);
  torch::Tensor tokens = torch::full({n * k}, int64_t{Vocabulary::kBos}, i64);  // [R]
  // Per sample: the best finished hypothesis, its tokens ended by <eos> (or full).
  torch::Tensor best_score = torch::full({n}, kNegInf, f64);                          // [B]
  torch::Tensor best = torch::full({n, max_length}, int64_t{Vocabulary::kEos}, i64);  // [B, L]
  for (int step = 0; step < max_length; ++step) {
    const int64_t open_samples = sample.size(0);
    const torch::Tensor log_probs =
        NextLogProbs(model, tokens, &cache, never).to(torch::kFloat64);  // [R, V]
    const int64_t v = log_probs.size(1);
    // Candidates [R, V]: the beam's score plus each next token's; a forced row keeps only
    // its forced token.
    torch::Tensor candidates = log_probs + score.unsqueeze(1);
    if (forced.defined()) {
      const torch::Tensor forced_token =
          forced.index_select(0, sample).select(1, step).repeat_interleave(k).unsqueeze(1);
      candidates.masked_fill_(
          (forced_token >= 0) & (torch::arange(v, forced_token.options()) != forced_token),
          kNegInf);
    }
    // The 2K best of each sample's K·V: at most K end in <eos> (one per beam), so K stay open.
    const int64_t c = std::min<int64_t>(2 * k, k * v);
    auto top = candidates.view({open_samples, k * v}).topk(c, 1);
    const torch::Tensor& top_score = std::get<0>(top);  // [A, 2K], descending
    const torch::Tensor& top_index = std::get<1>(top);
    const torch::Tensor row =
        top_index.div(v, "floor") + (torch::arange(open_samples, i64) * k).unsqueeze(1);  // [A, 2K]
    const torch::Tensor token = top_index.remainder(v);
    const torch::Tensor eos = token == Vocabulary::kEos;

    // Only an <eos> among the K best finishes a hypothesis (as fairseq and HF do); the first
    // of them scores highest, and replaces the sample's best finished one if it beats it.
    const torch::Tensor eos_k = eos.narrow(1, 0, std::min(k, c));
    const torch::Tensor first = eos_k & (eos_k.cumsum(1) == 1);
    const torch::Tensor at = (first.to(torch::kInt64) * torch::arange(eos_k.size(1), i64))
                                 .sum(1, /*keepdim=*/true);          // [A, 1]
    torch::Tensor sample_best = best_score.index_select(0, sample);  // [A]
    const torch::Tensor eos_score = top_score.gather(1, at).squeeze(1);
    const torch::Tensor finished = open & eos_k.any(1) & (eos_score > sample_best);
    sample_best = torch::where(finished, eos_score, sample_best);
    torch::Tensor sample_tokens =
        torch::where(finished.unsqueeze(1), history.index_select(0, row.gather(1, at).squeeze(1)),
                     best.index_select(0, sample));  // [A, L]

    // The K best that do not end: the first K candidates other than <eos>, in order.
    const torch::Tensor going = ~eos;
    const torch::Tensor positions = torch::arange(c, i64).expand({open_samples, c});
    const torch::Tensor order =
        torch::where(going & (going.cumsum(1) <= k), positions, positions + c);
    const torch::Tensor kept = std::get<1>(order.topk(k, 1, /*largest=*/false));  // [A, K]
    const torch::Tensor kept_score = top_score.gather(1, kept);
    const torch::Tensor kept_row = row.gather(1, kept);
    const torch::Tensor kept_token = token.gather(1, kept);

    // Scores only fall, so no open beam can overtake a finished one that beats them all.
    // At max_length the open beams are finished as they are (cut off): the best of them
    // replaces the finished one it beats.
    const bool last = step + 1 == max_length;
    const torch::Tensor front = kept_score.select(1, 0);
    if (last) {
      const torch::Tensor cut = open & (front > sample_best);
      torch::Tensor cut_tokens = history.index_select(0, kept_row.select(1, 0));
      cut_tokens.select(1, step).copy_(kept_token.select(1, 0));
      sample_best = torch::where(cut, front, sample_best);
      sample_tokens = torch::where(cut.unsqueeze(1), cut_tokens, sample_tokens);
    }
    best_score.index_copy_(0, sample, sample_best);
    best.index_copy_(0, sample, sample_tokens);
    if (last) break;
    open = open & (front > sample_best);

    // The kept candidates become the beams.
    torch::Tensor next_rows = kept_row.reshape({-1});  // [R]
    score = kept_score.reshape({-1});
    history = history.index_select(0, next_rows);
    history.select(1, step).copy_(kept_token.reshape({-1}));
    tokens = kept_token.reshape({-1});
    if (CheckAfter(step, max_length, device)) {
      const std::vector<int64_t> keep = OpenIndices(open);
      if (keep.empty()) break;
      if (static_cast<int64_t>(keep.size()) < open_samples) {
        // Finished samples leave the batch, with their K rows.
        const torch::Tensor samples = torch::tensor(keep, torch::kInt64).to(device);
        const torch::Tensor rows = (samples * k).unsqueeze(1) + torch::arange(k, i64);
        const torch::Tensor flat = rows.reshape({-1});
        next_rows = next_rows.index_select(0, flat);
        score = score.index_select(0, flat);
        history = history.index_select(0, flat);
        tokens = tokens.index_select(0, flat);
        sample = sample.index_select(0, samples);
        open = open.index_select(0, samples);
      }
    }
    cache.Select(next_rows);
  }
  return ReadSequences(best);
}

Sequences Generate(EncoderDecoder& model, const Batch& batch, const GenerationOptions& options,
                   const Sequences& forced_prefix) {
  if (options.beam_size == 1) {
    return GreedySearch(model, batch, options.max_length, forced_prefix);
  }
  return BeamSearch(model, batch, options.beam_size, options.max_length, forced_prefix);
}

}  // namespace florenz::model
