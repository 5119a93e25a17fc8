// Corpus BLEU as sacreBLEU's default (see bleu.h): per-segment clipped n-gram statistics
// summed over the corpus, then one brevity penalty and one geometric mean for the corpus.
#include "workers/eval/bleu.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "core/errors.h"

namespace florenz::eval {
namespace {

// n-grams of orders 1 … kBleuOrder with their counts. Words are joined with a byte that no
// token contains, so the key is unambiguous.
std::map<std::string, int64_t> NgramCounts(const Words& words) {
  std::map<std::string, int64_t> counts;
  for (size_t start = 0; start < words.size(); ++start) {
    std::string key;
    for (size_t n = 1; n <= kBleuOrder && start + n <= words.size(); ++n) {
      if (n > 1) key += '\x1f';
      key += words[start + n - 1];
      ++counts[key];
    }
  }
  return counts;
}

int Order(const std::string& key) {
  int n = 1;
  for (char c : key) n += c == '\x1f';
  return n;
}

// sacreBLEU's closest reference length: smallest |hyp - ref|, ties to the shorter reference.
int64_t ClosestReferenceLength(int64_t hyp_len, const std::vector<const Words*>& references) {
  int64_t best = -1;
  int64_t best_diff = -1;
  for (const Words* ref : references) {
    const int64_t len = static_cast<int64_t>(ref->size());
    const int64_t diff = std::llabs(hyp_len - len);
    if (best_diff < 0 || diff < best_diff || (diff == best_diff && len < best)) {
      best_diff = diff;
      best = len;
    }
  }
  return best;
}

}  // namespace

std::string BleuScore::ToString() const {
  char buffer[256];
  const double ratio = ref_len > 0 ? static_cast<double>(sys_len) / ref_len : 0.0;
  std::snprintf(buffer, sizeof(buffer),
                "BLEU = %.2f %.1f/%.1f/%.1f/%.1f (BP = %.3f ratio = %.3f hyp_len = %lld "
                "ref_len = %lld)",
                score, precisions[0], precisions[1], precisions[2], precisions[3], bp, ratio,
                static_cast<long long>(sys_len), static_cast<long long>(ref_len));
  return buffer;
}

BleuScore ComputeBleu(const std::array<int64_t, kBleuOrder>& counts,
                      const std::array<int64_t, kBleuOrder>& totals, int64_t sys_len,
                      int64_t ref_len) {
  BleuScore s;
  s.counts = counts;
  s.totals = totals;
  s.sys_len = sys_len;
  s.ref_len = ref_len;
  if (sys_len < ref_len) {
    s.bp = sys_len > 0 ? std::exp(1.0 - static_cast<double>(ref_len) / sys_len) : 0.0;
  } else {
    s.bp = 1.0;
  }
  bool any_match = false;
  for (int64_t c : counts) any_match = any_match || c > 0;
  if (!any_match) return s;  // score 0, precisions 0 (sacreBLEU's early stop)

  double smooth = 1.0;
  for (int n = 0; n < kBleuOrder; ++n) {
    if (totals[n] == 0) break;  // this and higher orders stay 0: the score is 0
    if (counts[n] == 0) {
      smooth *= 2.0;
      s.precisions[n] = 100.0 / (smooth * totals[n]);
    } else {
      s.precisions[n] = 100.0 * counts[n] / totals[n];
    }
  }
  double log_sum = 0.0;
  for (double p : s.precisions) {
    if (p == 0.0) return s;  // sacreBLEU's log(0) = -9999999999 makes exp(...) exactly 0
    log_sum += std::log(p);
  }
  s.score = s.bp * std::exp(log_sum / kBleuOrder);
  return s;
}

namespace {

BleuScore Corpus(const std::vector<Words>& hypotheses,
                 const std::vector<const std::vector<Words>*>& reference_streams) {
  if (reference_streams.empty()) throw RunError("BLEU: no reference stream");
  for (size_t r = 0; r < reference_streams.size(); ++r) {
    if (reference_streams[r]->size() != hypotheses.size()) {
      throw RunError("BLEU: " + std::to_string(hypotheses.size()) + " hypotheses but " +
                     std::to_string(reference_streams[r]->size()) + " references in stream " +
                     std::to_string(r));
    }
  }
  std::array<int64_t, kBleuOrder> counts{};
  std::array<int64_t, kBleuOrder> totals{};
  int64_t sys_len = 0;
  int64_t ref_len = 0;
  for (size_t i = 0; i < hypotheses.size(); ++i) {
    std::vector<const Words*> references;
    std::map<std::string, int64_t> max_ref_counts;
    for (const auto* stream : reference_streams) {
      references.push_back(&(*stream)[i]);
      for (const auto& [ngram, count] : NgramCounts((*stream)[i])) {
        int64_t& best = max_ref_counts[ngram];
        best = std::max(best, count);
      }
    }
    const int64_t hyp_len = static_cast<int64_t>(hypotheses[i].size());
    sys_len += hyp_len;
    ref_len += ClosestReferenceLength(hyp_len, references);
    for (const auto& [ngram, count] : NgramCounts(hypotheses[i])) {
      const int n = Order(ngram) - 1;
      totals[n] += count;
      const auto it = max_ref_counts.find(ngram);
      if (it != max_ref_counts.end()) counts[n] += std::min(count, it->second);
    }
  }
  return ComputeBleu(counts, totals, sys_len, ref_len);
}

}  // namespace

BleuScore CorpusBleuMultiReference(const std::vector<Words>& hypotheses,
                                   const std::vector<std::vector<Words>>& reference_streams) {
  std::vector<const std::vector<Words>*> streams;
  for (const auto& stream : reference_streams) streams.push_back(&stream);
  return Corpus(hypotheses, streams);
}

BleuScore CorpusBleu(const std::vector<Words>& hypotheses, const std::vector<Words>& references) {
  return Corpus(hypotheses, {&references});
}

}  // namespace florenz::eval
