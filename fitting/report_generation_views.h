// The study report's views of generated outputs and likelihood probes, after the Florenz paper:
// BLEU on unseen captioning with and without the target-language decoder prefix, by model size,
// and disambiguation accuracy (the CoMMuTE analogue) by model size.
#pragma once

#include "fitting/fit_input.h"
#include "fitting/report.h"

namespace florenz {

// final/unseen_caption_bleu and final/unseen_caption_bleu_prefix (and the output-language
// accuracies when present) against N, one line per sample budget; a table of every run.
// A grid that did not evaluate BLEU gets a section that says so.
ReportSection DecoderPrefixSection(const FitTable& table, const ReportContext& context);

// final/disambiguation (and the image-blanked control final/disambiguation_blank) against N,
// one line per sample budget, with chance at 0.5; a table of every run.
ReportSection DisambiguationSection(const FitTable& table, const ReportContext& context);

}  // namespace florenz
