// The JSON of a WebDataset sample (docs/data.md, "Your own corpus"): what task and languages it
// is, and its texts.
//   {"task": "caption", "lang": "de", "text": "..."}
//   {"task": "translate", "src_lang": "en", "lang": "zh", "src_text": "...", "text": "..."}
#pragma once

#include <string>

#include "experiments/spec_enums.h"

namespace florenz::data {

struct SampleLabel {
  Task task = Task::kCaption;
  std::string lang;      // the target language: of the caption, or translated into
  std::string text;      // the caption, or the translation
  std::string src_lang;  // translate only
  std::string src_text;  // translate only
};

// Parses one sample's JSON. `where` names it in messages ("SHARD:KEY"). Throws ConfigError
// "SHARD:KEY: …" for JSON that does not parse, a missing or non-string field, an unknown task, a
// language code that is not 1-16 of [a-z0-9_-], or an empty text.
SampleLabel ParseSampleLabel(const std::string& json, const std::string& where);

// The JSON of `label` (fields in the order above), as `florenz data export` writes it.
std::string SampleLabelJson(const SampleLabel& label);

}  // namespace florenz::data
