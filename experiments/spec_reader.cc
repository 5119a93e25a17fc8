// Scalar parsing and key checks of SpecReader.
#include "experiments/spec_reader.h"

#include <cctype>
#include <cmath>
#include <limits>
#include <set>

#include "core/errors.h"

namespace florenz {

YAML::Node LoadYamlMapping(const std::string& text, const std::string& name,
                           const std::string& empty, const std::string& not_a_mapping) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(SourceLocation{name, e.mark.line + 1, e.mark.column + 1},
                      "malformed YAML: " + e.msg);
  }
  if (!root.IsMap()) {
    throw ConfigError(SourceLocation{name, 1, 1}, root.IsNull() ? empty : not_a_mapping);
  }
  return root;
}

bool ParseCount(const std::string& text, int64_t* value) {
  if (text.empty()) return false;
  double multiplier = 1;
  std::string number = text;
  switch (text.back()) {
    case 'k':
    case 'K':
      multiplier = 1e3;
      break;
    case 'M':
      multiplier = 1e6;
      break;
    case 'G':
      multiplier = 1e9;
      break;
    default:
      break;
  }
  if (multiplier != 1) number.pop_back();
  if (number.empty()) return false;
  for (char c : number) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+')) {
      return false;
    }
  }
  size_t used = 0;
  double parsed = 0;
  try {
    parsed = std::stod(number, &used);
  } catch (const std::exception&) {
    return false;
  }
  if (used != number.size()) return false;
  const double scaled = parsed * multiplier;
  if (!std::isfinite(scaled) || std::fabs(scaled) > 9.0e18 || scaled != std::floor(scaled)) {
    return false;
  }
  *value = static_cast<int64_t>(scaled);
  return true;
}

bool ParseDuration(const std::string& text, int64_t* seconds) {
  if (text.empty() || text.size() > 32) return false;
  int64_t total = 0;
  int fields = 0;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t colon = text.find(':', start);
    const std::string part = text.substr(start, colon == std::string::npos ? colon : colon - start);
    if (part.empty() || part.size() > 9) return false;
    for (char c : part) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    total = total * 60 + std::stoll(part);
    ++fields;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (fields > 3) return false;
  *seconds = total;
  return true;
}

std::string SpecReader::Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "an undefined value";
  }
}

void SpecReader::CheckKeys(const YAML::Node& node, const Frame& frame) {
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      Error(it->first, frame.path, "expected a scalar key, got " + Describe(it->first));
      continue;
    }
    const std::string key = it->first.Scalar();
    if (!seen.insert(key).second) {
      Error(it->first, frame.path, "key '" + key + "' appears twice");
      continue;
    }
    bool known = false;
    for (const auto& k : frame.known) known = known || k == key;
    if (!known) {
      std::string where = frame.path.empty() ? "at the top level" : "in '" + frame.path + "'";
      std::string keys;
      for (const auto& k : frame.known) keys += (keys.empty() ? "" : ", ") + k;
      diagnostics_->Error(Where(it->first), "unknown key '" + key + "' " + where +
                                                DidYouMean(key, frame.known) +
                                                "; known keys: " + keys);
    }
  }
}

bool SpecReader::ExpectScalar(const YAML::Node& node, const std::string& path, const char* what) {
  if (node.IsScalar()) return true;
  Error(node, path, std::string("expected ") + what + ", got " + Describe(node));
  return false;
}

void SpecReader::ReadScalar(const YAML::Node& node, bool& out, const std::string& path) {
  if (!ExpectScalar(node, path, "true or false")) return;
  const std::string& s = node.Scalar();
  if (s == "true" || s == "True" || s == "yes" || s == "on") {
    out = true;
  } else if (s == "false" || s == "False" || s == "no" || s == "off") {
    out = false;
  } else {
    Error(node, path, "expected true or false, got '" + s + "'");
  }
}

void SpecReader::ReadScalar(const YAML::Node& node, int64_t& out, const std::string& path) {
  if (!ExpectScalar(node, path, "an integer")) return;
  if (!ParseCount(node.Scalar(), &out)) {
    Error(node, path,
          "expected an integer (optionally with a k/M/G suffix), got '" + node.Scalar() + "'");
  }
}

void SpecReader::ReadScalar(const YAML::Node& node, int& out, const std::string& path) {
  int64_t wide = 0;
  if (!ExpectScalar(node, path, "an integer")) return;
  if (!ParseCount(node.Scalar(), &wide) || wide > std::numeric_limits<int>::max() ||
      wide < std::numeric_limits<int>::min()) {
    Error(node, path, "expected an integer, got '" + node.Scalar() + "'");
    return;
  }
  out = static_cast<int>(wide);
}

void SpecReader::ReadScalar(const YAML::Node& node, double& out, const std::string& path) {
  if (!ExpectScalar(node, path, "a number")) return;
  const std::string& s = node.Scalar();
  size_t used = 0;
  try {
    out = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != s.size() || !std::isfinite(out)) {
    Error(node, path, "expected a finite number, got '" + s + "'");
  }
}

void SpecReader::ReadScalar(const YAML::Node& node, std::string& out, const std::string& path) {
  if (!ExpectScalar(node, path, "a string")) return;
  out = node.Scalar();
}

void SpecReader::ReadScalar(const YAML::Node& node, Duration& out, const std::string& path) {
  if (!ExpectScalar(node, path, "a duration")) return;
  if (!ParseDuration(node.Scalar(), &out.seconds)) {
    Error(node, path,
          "expected a duration in seconds or as [[H:]MM:]SS, got '" + node.Scalar() + "'");
  }
}

}  // namespace florenz
