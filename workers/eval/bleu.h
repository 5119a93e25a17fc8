// Corpus BLEU exactly as sacreBLEU computes it by default (4-gram, corpus-level brevity
// penalty, "exp" smoothing), on florenz's word-level tokens: captions are already word
// sequences, so no 13a tokenization is applied (sacreBLEU with tokenize='none').
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace florenz::eval {

using Words = std::vector<std::string>;

constexpr int kBleuOrder = 4;

// The result, field for field as sacreBLEU's BLEUScore.
struct BleuScore {
  // BLEU in [0, 100].
  double score = 0.0;
  // Matched n-grams (clipped by the reference counts) and hypothesis n-grams, n = 1 … 4,
  // summed over the corpus.
  std::array<int64_t, kBleuOrder> counts{};
  std::array<int64_t, kBleuOrder> totals{};
  // n-gram precisions in [0, 100], smoothed where counts[n] is 0 (see ComputeBleu).
  std::array<double, kBleuOrder> precisions{};
  // Brevity penalty exp(1 - ref_len / sys_len) when sys_len < ref_len, else 1; 0 when
  // sys_len is 0.
  double bp = 0.0;
  // Words of all hypotheses, and of the references (per segment the reference length
  // closest to the hypothesis's, ties to the shorter).
  int64_t sys_len = 0;
  int64_t ref_len = 0;

  // "BLEU = 83.76 90.0/87.5/83.3/75.0 (BP = 1.000 ratio = 1.000 hyp_len = 11 ref_len = 11)",
  // in sacreBLEU's layout (ratio = sys_len / ref_len).
  std::string ToString() const;
};

// BLEU from its sufficient statistics, as sacreBLEU's compute_bleu with smooth_method='exp'
// (effective_order off):
// - no match of any order: score 0, precisions 0;
// - precision p_n = 100 · counts[n] / totals[n]; where counts[n] is 0, p_n = 100 / (2^k ·
//   totals[n]) with k the number of zero-match orders so far (1, 2, …);
// - an order with totals[n] = 0 (every hypothesis shorter than n words) leaves p_n = 0 and
//   the score 0;
// - score = bp · exp(mean of log p_n).
BleuScore ComputeBleu(const std::array<int64_t, kBleuOrder>& counts,
                      const std::array<int64_t, kBleuOrder>& totals, int64_t sys_len,
                      int64_t ref_len);

// Corpus BLEU of `hypotheses` against one reference each (references[i] for hypotheses[i]).
// Throws RunError when the sizes differ.
BleuScore CorpusBleu(const std::vector<Words>& hypotheses, const std::vector<Words>& references);

// Corpus BLEU against several reference streams, as sacreBLEU's corpus_bleu(hyps, [refs1,
// refs2, …]): n-gram counts are clipped by their maximum count over a segment's references.
// florenz has one reference per segment; this form exists so the implementation can be
// checked against sacreBLEU's published multi-reference values.
// Throws RunError when a stream's size differs from the hypotheses'.
BleuScore CorpusBleuMultiReference(const std::vector<Words>& hypotheses,
                                   const std::vector<std::vector<Words>>& reference_streams);

}  // namespace florenz::eval
