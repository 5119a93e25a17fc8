// Decoding for evaluation (issue 5): greedy and beam search over the encoder-decoder, batched,
// with an optional forced decoder prefix and a KV cache (the encoder and the cross-attention
// keys and values once per batch, self-attention keys and values one position per step).
#pragma once

#include <cstdint>
#include <vector>

#include "workers/model/batch.h"
#include "workers/model/encoder_decoder.h"

namespace florenz::model {

struct GenerationOptions {
  // Hypotheses kept per sample; 1 is greedy decoding. The Florenz paper decodes with 4.
  int beam_size = 4;
  // Decoding steps, <eos> included: a returned sequence has at most max_length tokens and has
  // exactly max_length when it was cut off before <eos>. Must be ≥ 1.
  int max_length = 32;
};

// Generates a sequence per sample of `batch` (its decoder_input and target are ignored).
// Returns the token ids without <bos> and <eos>. forced_prefix is empty (no prefix) or has one
// entry per sample: tokens the decoder must emit first (the target language's "the image
// shows" words), included in the result; they must not contain <pad>, <bos> or <eos>.
//
// The decoder never emits <pad> or <bos>. Beam search ranks hypotheses by the plain sum of
// token log-probabilities, with no length normalisation (evaluation is sacreBLEU, which has
// its own brevity penalty), and a hypothesis is finished by <eos> or by max_length. Since that
// sum never grows, a sample stops as soon as its best finished hypothesis scores at least its
// best open one: the result is then the highest-scoring hypothesis the beam could still reach.
// Grad-free; throws RunError on bad options or a forced_prefix of the wrong size.
//
// The bookkeeping stays on the model's device; the host reads (device_reads.h) which samples
// are still open, to drop finished ones from the batch — after every step on the CPU, every 8
// steps elsewhere — and the outputs once at the end.
std::vector<std::vector<int32_t>> Generate(
    EncoderDecoder& model, const Batch& batch, const GenerationOptions& options,
    const std::vector<std::vector<int32_t>>& forced_prefix = {});

// The two strategies Generate dispatches to (beam_size 1 → GreedySearch). BeamSearch with a
// beam of 1 makes the same choices as GreedySearch, through the beam bookkeeping.
std::vector<std::vector<int32_t>> GreedySearch(
    EncoderDecoder& model, const Batch& batch, int max_length,
    const std::vector<std::vector<int32_t>>& forced_prefix = {});
std::vector<std::vector<int32_t>> BeamSearch(
    EncoderDecoder& model, const Batch& batch, int beam_size, int max_length,
    const std::vector<std::vector<int32_t>>& forced_prefix = {});

}  // namespace florenz::model
