// sacreBLEU's tokenizers for BLEU on real references (text, not florenz's word tokens):
//   13a — the WMT standard (mteval-v13a.pl): unescape a few HTML entities, split off
//         punctuation and symbols, periods and commas unless next to a digit, a dash after a
//         digit; runs of whitespace become one space;
//   zh  — every CJK character (and the ranges sacreBLEU counts as such, below) becomes a word
//         of its own, then 13a's regular expressions.
// They mirror sacreBLEU 2.x (tokenizer_13a.py, tokenizer_re.py, tokenizer_zh.py), including
// the literal quirk of its Chinese ranges: bounds written u'\u20000' and u'\u2a6d6' are
// two-character Python strings, so the range "CJK Extension B" covers U+2001…U+2A6D (general
// punctuation, arrows, maths…) and "Compatibility Supplement" U+2F81…U+2FA1; a florenz score
// must equal sacreBLEU's, quirks included.
#pragma once

#include <string>
#include <vector>

namespace florenz::eval {

enum class BleuTokenize { k13a, kZh };

// The tokenized line, words separated by single spaces (sacreBLEU's string form).
std::string Tokenize13a(const std::string& line);
std::string TokenizeZh(const std::string& line);

// The words of `line` under `tokenize` (its string form split at spaces), for CorpusBleu.
std::vector<std::string> BleuWords(const std::string& line, BleuTokenize tokenize);

// "zh" for Chinese ("zh", "zh-cn", "zh_tw", …), else "13a": sacreBLEU's default per target.
BleuTokenize DefaultBleuTokenize(const std::string& language);

}  // namespace florenz::eval
