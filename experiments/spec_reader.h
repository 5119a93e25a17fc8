// SpecReader: reads a YAML node tree into the grid's options structs through their
// VisitFields, one key to one member. Unknown keys, duplicate keys, wrong types and
// unparsable values are reported with FILE:LINE:COLUMN and a "did you mean" where it helps.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "experiments/did_you_mean.h"
#include "experiments/execution_options.h"
#include "experiments/spec_enums.h"
#include "experiments/spec_locations.h"

namespace florenz {

namespace spec_traits {
template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
template <class T>
struct IsMap : std::false_type {};
template <class K, class V>
struct IsMap<std::map<K, V>> : std::true_type {};
struct AnyVisitor {
  template <class T>
  void operator()(const char*, T&) {}
};
template <class T, class = void>
struct HasFields : std::false_type {};
template <class T>
struct HasFields<T,
                 std::void_t<decltype(std::declval<T&>().VisitFields(std::declval<AnyVisitor&>()))>>
    : std::true_type {};
template <class T, class = void>
struct HasPreset : std::false_type {};
template <class T>
struct HasPreset<T, std::void_t<decltype(std::declval<T&>().ApplyPreset(
                        std::declval<const std::string&>(), std::declval<std::string*>()))>>
    : std::true_type {};
}  // namespace spec_traits

// Scalar parsers shared with the command line. Each returns false on malformed text.
// Counts accept a k / M / G suffix (80k, 2M, 1.5M); durations "3600" or "[[H:]MM:]SS".
bool ParseCount(const std::string& text, int64_t* value);
bool ParseDuration(const std::string& text, int64_t* seconds);

// The YAML document `text` (from file `name`) as a mapping. Throws ConfigError at the error's
// FILE:LINE:COLUMN for malformed YAML, and at 1:1 with `empty` for an empty document or
// `not_a_mapping` for any other top level.
YAML::Node LoadYamlMapping(const std::string& text, const std::string& name,
                           const std::string& empty, const std::string& not_a_mapping);

class SpecReader {
 public:
  SpecReader(std::string file, Diagnostics* diagnostics, SpecLocations* locations)
      : file_(std::move(file)), diagnostics_(diagnostics), locations_(locations) {}

  // Reads `node` into `out`; `path` names it in messages ("training.optimizer").
  template <class T>
  void Read(const YAML::Node& node, T& out, const std::string& path) {
    locations_->Record(out, Where(node));
    if constexpr (spec_traits::HasFields<T>::value) {
      ReadStruct(node, out, path);
    } else if constexpr (spec_traits::IsVector<T>::value) {
      ReadSequence(node, out, path);
    } else if constexpr (spec_traits::IsMap<T>::value) {
      ReadMap(node, out, path);
    } else {
      ReadScalar(node, out, path);
    }
  }

  // Called by VisitFields for each member of the struct being read.
  template <class T>
  void operator()(const char* key, T& member) {
    Frame& frame = frames_.back();
    frame.known.push_back(key);
    const YAML::Node& mapping = *frame.node;
    for (auto it = mapping.begin(); it != mapping.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) {
        Read(it->second, member, Join(frame.path, key));
        return;
      }
    }
  }

 private:
  struct Frame {
    const YAML::Node* node;
    std::string path;
    std::vector<std::string> known;
  };

  SourceLocation Where(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    if (mark.line < 0) return SourceLocation{file_, 0, 0};
    return SourceLocation{file_, mark.line + 1, mark.column + 1};
  }
  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  void Error(const YAML::Node& node, const std::string& path, const std::string& message) {
    diagnostics_->Error(Where(node), (path.empty() ? "" : path + ": ") + message);
  }
  static std::string Describe(const YAML::Node& node);

  template <class T>
  void ReadStruct(const YAML::Node& node, T& out, const std::string& path) {
    if (node.IsNull()) return;  // "training:" with nothing under it: all defaults
    if constexpr (spec_traits::HasPreset<T>::value) {
      if (node.IsScalar()) {
        ApplyPreset(node, node.Scalar(), out, path);
        return;
      }
      if (node.IsMap()) {
        for (auto it = node.begin(); it != node.end(); ++it) {
          // `preset: ""` (what the writer puts for a size given in full) names no preset.
          if (it->first.IsScalar() && it->first.Scalar() == "preset" && it->second.IsScalar() &&
              !it->second.Scalar().empty()) {
            ApplyPreset(it->second, it->second.Scalar(), out, path);
          }
        }
      }
    }
    if (!node.IsMap()) {
      Error(node, path, "expected a mapping of keys, got " + Describe(node));
      return;
    }
    frames_.push_back(Frame{&node, path, {}});
    out.VisitFields(*this);
    Frame frame = std::move(frames_.back());
    frames_.pop_back();
    CheckKeys(node, frame);
  }

  template <class T>
  void ApplyPreset(const YAML::Node& node, const std::string& preset, T& out,
                   const std::string& path) {
    std::string error;
    if (!out.ApplyPreset(preset, &error)) Error(node, path, error);
  }

  // Unknown and repeated keys of a mapping.
  void CheckKeys(const YAML::Node& node, const Frame& frame);

  template <class T>
  void ReadSequence(const YAML::Node& node, std::vector<T>& out, const std::string& path) {
    if (node.IsNull()) {
      out.clear();
      return;
    }
    if (!node.IsSequence()) {
      Error(node, path, "expected a list, got " + Describe(node));
      return;
    }
    // Sized first so element addresses stay put for SpecLocations.
    out.assign(node.size(), T{});
    for (size_t i = 0; i < node.size(); ++i) {
      Read(node[i], out[i], path + "[" + std::to_string(i) + "]");
    }
  }

  template <class K, class V>
  void ReadMap(const YAML::Node& node, std::map<K, V>& out, const std::string& path) {
    if (node.IsNull()) {
      out.clear();
      return;
    }
    if (!node.IsMap()) {
      Error(node, path, "expected a mapping, got " + Describe(node));
      return;
    }
    out.clear();
    for (auto it = node.begin(); it != node.end(); ++it) {
      K key{};
      if (!it->first.IsScalar()) {
        Error(it->first, path, "expected a scalar key");
        continue;
      }
      const std::string text = it->first.Scalar();
      if constexpr (std::is_same_v<K, std::string>) {
        key = text;
      } else {
        static_assert(IsNamedEnum<K>::value, "map keys are strings or named enums");
        if (!FromString(text, &key)) {
          Error(it->first, path, BadEnumMessage<K>(text));
          continue;
        }
      }
      if (out.count(key) > 0) {
        Error(it->first, path, "key '" + text + "' appears twice");
        continue;
      }
      V& value = out[key];
      Read(it->second, value, Join(path, text));
      // Errors about an entry (an unknown language, say) point at its key.
      locations_->Record(value, Where(it->first));
    }
  }

  template <class E>
  static std::string BadEnumMessage(const std::string& text) {
    std::string known;
    for (const auto& n : EnumSpellings<E>()) known += (known.empty() ? "" : ", ") + n;
    return std::string("unknown ") + EnumNames<E>::What() + " '" + text + "'" +
           DidYouMean(text, EnumSpellings<E>()) + "; expected one of: " + known;
  }

  bool ExpectScalar(const YAML::Node& node, const std::string& path, const char* what);
  void ReadScalar(const YAML::Node& node, bool& out, const std::string& path);
  void ReadScalar(const YAML::Node& node, int& out, const std::string& path);
  void ReadScalar(const YAML::Node& node, int64_t& out, const std::string& path);
  void ReadScalar(const YAML::Node& node, double& out, const std::string& path);
  void ReadScalar(const YAML::Node& node, std::string& out, const std::string& path);
  void ReadScalar(const YAML::Node& node, Duration& out, const std::string& path);
  template <class E, class = std::enable_if_t<IsNamedEnum<E>::value>>
  void ReadScalar(const YAML::Node& node, E& out, const std::string& path) {
    if (!ExpectScalar(node, path, EnumNames<E>::What())) return;
    if (!FromString(node.Scalar(), &out)) Error(node, path, BadEnumMessage<E>(node.Scalar()));
  }

  std::string file_;
  Diagnostics* diagnostics_;
  SpecLocations* locations_;
  std::vector<Frame> frames_;
};

}  // namespace florenz
