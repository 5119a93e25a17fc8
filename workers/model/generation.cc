// Greedy and beam-search decoding (generation.h). The tensors hold one row per open sequence
// (beams flattened into the batch dimension); the bookkeeping of which row is which sample,
// the emitted tokens and the finished hypotheses lives on the host, one sync per step.
#include "workers/model/generation.h"

#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include "core/errors.h"
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

// The token sample `s` must emit at `step`, or -1 when it is free.
int64_t Forced(const Sequences& forced_prefix, int64_t s, int step) {
  if (forced_prefix.empty() || step >= static_cast<int>(forced_prefix[s].size())) return -1;
  return forced_prefix[s][step];
}

// Log-probabilities [R, V] (float32) of the next token of each row after feeding tokens [R];
// <pad> and <bos> are ruled out (−inf) after the softmax, so the others keep the model's values.
torch::Tensor NextLogProbs(EncoderDecoder& model, const torch::Tensor& tokens,
                           DecoderCache* cache) {
  torch::Tensor log_probs = torch::log_softmax(model->DecodeStep(tokens, cache).to(torch::kFloat32),
                                               -1);  // [R, V]
  const torch::Tensor never =
      torch::tensor({int64_t{Vocabulary::kPad}, int64_t{Vocabulary::kBos}},
                    torch::TensorOptions().dtype(torch::kInt64).device(log_probs.device()));
  return log_probs.index_fill_(1, never, -std::numeric_limits<float>::infinity());
}

torch::Tensor Int64(const std::vector<int64_t>& values, const torch::Device& device) {
  return torch::tensor(values, torch::kInt64).to(device);
}

// One open hypothesis of beam search: its summed log-probability and the tokens so far.
struct Hypothesis {
  double score = kNegInf;
  std::vector<int32_t> tokens;
};

}  // namespace

Sequences GreedySearch(EncoderDecoder& model, const Batch& batch, int max_length,
                       const Sequences& forced_prefix) {
  const int64_t n = batch.size();
  Validate(n, 1, max_length, forced_prefix);
  torch::NoGradGuard no_grad;
  Sequences out(n);
  if (n == 0) return out;
  auto [memory, mask] = model->Encode(batch);  // [B, E, C], [B, E]
  const torch::Device device = memory.device();
  DecoderCache cache = model->StartDecoding(memory, mask);
  std::vector<int64_t> sample(n);  // the sample of each open row
  std::iota(sample.begin(), sample.end(), 0);
  torch::Tensor tokens = torch::full({n}, int64_t{Vocabulary::kBos},
                                     torch::TensorOptions().dtype(torch::kInt64).device(device));
  for (int step = 0; step < max_length && !sample.empty(); ++step) {
    const torch::Tensor best = NextLogProbs(model, tokens, &cache).argmax(-1).cpu();  // [R]
    const auto best_of = best.accessor<int64_t, 1>();
    std::vector<int64_t> keep_rows, keep_samples, next;
    for (size_t r = 0; r < sample.size(); ++r) {
      const int64_t s = sample[r];
      const int64_t forced = Forced(forced_prefix, s, step);
      const int64_t token = forced >= 0 ? forced : best_of[r];
      if (token == Vocabulary::kEos) continue;  // finished
      out[s].push_back(static_cast<int32_t>(token));
      keep_rows.push_back(static_cast<int64_t>(r));
      keep_samples.push_back(s);
      next.push_back(token);
    }
    if (keep_rows.size() < sample.size() && !keep_rows.empty()) {
      cache.Select(Int64(keep_rows, device));
    }
    sample = std::move(keep_samples);
    if (!next.empty()) tokens = Int64(next, device);
  }
  return out;
}

Sequences BeamSearch(EncoderDecoder& model, const Batch& batch, int beam_size, int max_length,
                     const Sequences& forced_prefix) {
  const int64_t n = batch.size(), k = beam_size;
  Validate(n, beam_size, max_length, forced_prefix);
  torch::NoGradGuard no_grad;
  Sequences out(n);
  if (n == 0) return out;
  auto [memory, mask] = model->Encode(batch);  // [B, E, C], [B, E]
  const torch::Device device = memory.device();
  DecoderCache cache = model->StartDecoding(memory, mask);
  // Rows are sample-major: row a·K + j is beam j of the a-th open sample. All K beams start
  // as <bos>; only beam 0 is live (the others score −inf) so the first step's K best are
  // distinct.
  std::vector<int64_t> sample(n);
  std::iota(sample.begin(), sample.end(), 0);
  {
    std::vector<int64_t> rows;
    for (int64_t s = 0; s < n; ++s) rows.insert(rows.end(), k, s);
    cache.Select(Int64(rows, device));
  }
  std::vector<Hypothesis> beams(n * k);
  for (int64_t s = 0; s < n; ++s) beams[s * k].score = 0;
  std::vector<Hypothesis> best(n);  // the best finished hypothesis of each sample
  torch::Tensor tokens = torch::full({n * k}, int64_t{Vocabulary::kBos},
                                     torch::TensorOptions().dtype(torch::kInt64).device(device));
  for (int step = 0; step < max_length && !sample.empty(); ++step) {
    const int64_t open = static_cast<int64_t>(sample.size());
    torch::Tensor log_probs = NextLogProbs(model, tokens, &cache).to(torch::kFloat64);  // [R, V]
    const int64_t v = log_probs.size(1);
    std::vector<double> scores(open * k);
    std::vector<int64_t> forced(open * k);
    for (int64_t r = 0; r < open * k; ++r) {
      scores[r] = beams[r].score;
      forced[r] = Forced(forced_prefix, sample[r / k], step);
    }
    // Candidates [R, V]: the beam's score plus each next token's; a forced row keeps only
    // its forced token.
    torch::Tensor candidates =
        log_probs + torch::tensor(scores, torch::kFloat64).to(device).unsqueeze(1);
    const torch::Tensor forced_token = Int64(forced, device).unsqueeze(1);  // [R, 1]
    candidates.masked_fill_(
        (forced_token >= 0) & (torch::arange(v, forced_token.options()) != forced_token), kNegInf);
    // The 2K best of each sample's K·V: at most K end in <eos> (one per beam), so K stay open.
    auto top = candidates.view({open, k * v}).topk(std::min<int64_t>(2 * k, k * v), 1);
    const torch::Tensor top_score = std::get<0>(top).cpu(), top_index = std::get<1>(top).cpu();
    const auto score_of = top_score.accessor<double, 2>();
    const auto index_of = top_index.accessor<int64_t, 2>();
    std::vector<Hypothesis> next_beams;
    std::vector<int64_t> rows, next_samples, next_tokens;
    for (int64_t a = 0; a < open; ++a) {
      const int64_t s = sample[a];
      std::vector<Hypothesis> kept;
      std::vector<int64_t> kept_rows, kept_tokens;
      for (int64_t c = 0; c < top_score.size(1) && static_cast<int64_t>(kept.size()) < k; ++c) {
        const double score = score_of[a][c];
        const int64_t row = a * k + index_of[a][c] / v, token = index_of[a][c] % v;
        if (token == Vocabulary::kEos) {
          // Only an <eos> among the K best finishes a hypothesis (as fairseq and HF do).
          if (c < k && score > best[s].score) best[s] = {score, beams[row].tokens};
          continue;
        }
        Hypothesis h{score, beams[row].tokens};
        h.tokens.push_back(static_cast<int32_t>(token));
        kept.push_back(std::move(h));
        kept_rows.push_back(row);
        kept_tokens.push_back(token);
      }
      // Scores only fall, so no open beam can overtake a finished one that beats them all.
      // At max_length the open beams are finished as they are (cut off).
      const bool last = step + 1 == max_length;
      if (last || kept.empty() || kept.front().score <= best[s].score) {
        for (Hypothesis& h : kept) {
          if (last && h.score > best[s].score) best[s] = std::move(h);
        }
        continue;
      }
      // kept holds K beams: each row has one <eos> candidate, so at most K of the 2K are <eos>.
      for (int64_t j = 0; j < k; ++j) {
        next_beams.push_back(std::move(kept[j]));
        rows.push_back(kept_rows[j]);
        next_tokens.push_back(kept_tokens[j]);
      }
      next_samples.push_back(s);
    }
    if (next_samples.empty()) break;
    cache.Select(Int64(rows, device));
    beams = std::move(next_beams);
    sample = std::move(next_samples);
    tokens = Int64(next_tokens, device);
  }
  for (int64_t s = 0; s < n; ++s) out[s] = std::move(best[s].tokens);
  return out;
}

Sequences Generate(EncoderDecoder& model, const Batch& batch, const GenerationOptions& options,
                   const Sequences& forced_prefix) {
  if (options.beam_size == 1) {
    return GreedySearch(model, batch, options.max_length, forced_prefix);
  }
  return BeamSearch(model, batch, options.beam_size, options.max_length, forced_prefix);
}

}  // namespace florenz::model
