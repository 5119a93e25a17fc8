// sacreBLEU's 13a and zh tokenizers (bleu_tokenizers.h), on UTF-8 code points. The four
// regular expressions of tokenizer_re.py are applied in turn, each left to right over
// non-overlapping matches as Python's re.sub does, then Python's str.split() whitespace rule.
#include "workers/eval/bleu_tokenizers.h"

#include <cstdint>

namespace florenz::eval {
namespace {

// UTF-8 → code points and back (invalid bytes pass through as themselves).
std::u32string Decode(const std::string& text) {
  std::u32string out;
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    int length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (length == 0 || i + length > text.size()) {
      out += c;
      ++i;
      continue;
    }
    char32_t cp = length == 1 ? c : c & (0x7f >> length);
    for (int k = 1; k < length; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
    out += cp;
    i += length;
  }
  return out;
}

std::string Encode(const std::u32string& text) {
  std::string out;
  for (const char32_t cp : text) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }
  return out;
}

bool IsDigit(char32_t c) { return c >= '0' && c <= '9'; }

// [\{-\~\[-\` -\&\(-\+\:-\@\/]: ASCII punctuation and symbols (and the space) that 13a splits.
bool IsSplitSymbol(char32_t c) {
  return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') ||
         (c >= '(' && c <= '+') || (c >= ':' && c <= '@') || c == '/';
}

// Python's str.isspace() for str.split(): Unicode whitespace.
bool IsPythonSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
         c == 0x205f || c == 0x3000;
}

// tokenizer_re.py: the four substitutions, then ' '.join(line.split()).
std::string RegexpTokenize(const std::u32string& in) {
  // 1. ([\{-\~\[-\` -\&\(-\+\:-\@\/]) → " \1 "
  std::u32string a;
  for (const char32_t c : in) {
    if (IsSplitSymbol(c)) {
      a += U' ';
      a += c;
      a += U' ';
    } else {
      a += c;
    }
  }
  // 2. ([^0-9])([\.,]) → "\1 \2 " (left to right, non-overlapping pairs)
  std::u32string b;
  for (size_t i = 0; i < a.size();) {
    if (i + 1 < a.size() && !IsDigit(a[i]) && (a[i + 1] == '.' || a[i + 1] == ',')) {
      b += a[i];
      b += U' ';
      b += a[i + 1];
      b += U' ';
      i += 2;
    } else {
      b += a[i++];
    }
  }
  // 3. ([\.,])([^0-9]) → " \1 \2"
  std::u32string c;
  for (size_t i = 0; i < b.size();) {
    if (i + 1 < b.size() && (b[i] == '.' || b[i] == ',') && !IsDigit(b[i + 1])) {
      c += U' ';
      c += b[i];
      c += U' ';
      c += b[i + 1];
      i += 2;
    } else {
      c += b[i++];
    }
  }
  // 4. ([0-9])(-) → "\1 \2 "
  std::u32string d;
  for (size_t i = 0; i < c.size();) {
    if (i + 1 < c.size() && IsDigit(c[i]) && c[i + 1] == '-') {
      d += c[i];
      d += U' ';
      d += U'-';
      d += U' ';
      i += 2;
    } else {
      d += c[i++];
    }
  }
  std::u32string joined;
  bool pending = false;
  for (const char32_t ch : d) {
    if (IsPythonSpace(ch)) {
      pending = !joined.empty();
      continue;
    }
    if (pending) joined += U' ';
    pending = false;
    joined += ch;
  }
  return Encode(joined);
}

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// tokenizer_zh.py's ranges, compared as Python compares strings: a bound written with five hex
// digits is two characters, e.g. u'\u20000' = U+2000 followed by '0'. For one character c,
// lo <= c holds iff c > lo[0] when lo has two characters (c == lo[0] is a proper prefix, so
// smaller), and c <= hi iff c <= hi[0].
struct ZhRange {
  char32_t lo;
  bool lo_two_chars;
  char32_t hi;
};
constexpr ZhRange kZhRanges[] = {
    {0x3400, false, 0x4db5}, {0x4e00, false, 0x9fa5}, {0x9fa6, false, 0x9fbb},
    {0xf900, false, 0xfa2d}, {0xfa30, false, 0xfa6a}, {0xfa70, false, 0xfad9},
    {0x2000, true, 0x2a6d},  // u'\u20000'..u'\u2a6d6'
    {0x2f80, true, 0x2fa1},  // u'\u2f800'..u'\u2fa1d'
    {0xff00, false, 0xffef}, {0x2e80, false, 0x2eff}, {0x3000, false, 0x303f},
    {0x31c0, false, 0x31ef}, {0x2f00, false, 0x2fdf}, {0x2ff0, false, 0x2fff},
    {0x3100, false, 0x312f}, {0x31a0, false, 0x31bf}, {0xfe10, false, 0xfe1f},
    {0xfe30, false, 0xfe4f}, {0x2600, false, 0x26ff}, {0x2700, false, 0x27bf},
    {0x3200, false, 0x32ff}, {0x3300, false, 0x33ff},
};

bool IsChineseChar(char32_t c) {
  for (const ZhRange& r : kZhRanges) {
    const bool above = r.lo_two_chars ? c > r.lo : c >= r.lo;
    if (above && c <= r.hi) return true;
  }
  return false;
}

std::u32string Strip(const std::u32string& text) {
  size_t begin = 0, end = text.size();
  while (begin < end && IsPythonSpace(text[begin])) ++begin;
  while (end > begin && IsPythonSpace(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

}  // namespace

std::string Tokenize13a(const std::string& line) {
  std::string text = ReplaceAll(line, "<skipped>", "");
  text = ReplaceAll(text, "-\n", "");
  text = ReplaceAll(text, "\n", " ");
  if (text.find('&') != std::string::npos) {
    text = ReplaceAll(text, "&quot;", "\"");
    text = ReplaceAll(text, "&amp;", "&");
    text = ReplaceAll(text, "&lt;", "<");
    text = ReplaceAll(text, "&gt;", ">");
  }
  return RegexpTokenize(Decode(" " + text + " "));
}

std::string TokenizeZh(const std::string& line) {
  const std::u32string text = Strip(Decode(line));
  if (text.empty()) return "";
  std::u32string spaced;
  for (const char32_t c : text) {
    if (IsChineseChar(c)) {
      spaced += U' ';
      spaced += c;
      spaced += U' ';
    } else {
      spaced += c;
    }
  }
  return RegexpTokenize(spaced);
}

std::vector<std::string> BleuWords(const std::string& line, BleuTokenize tokenize) {
  const std::string text = tokenize == BleuTokenize::kZh ? TokenizeZh(line) : Tokenize13a(line);
  std::vector<std::string> words;
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = text.find(' ', begin);
    words.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return words;
}

BleuTokenize DefaultBleuTokenize(const std::string& language) {
  return language.rfind("zh", 0) == 0 ? BleuTokenize::kZh : BleuTokenize::k13a;
}

}  // namespace florenz::eval
