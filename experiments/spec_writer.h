// Writing a spec back out through the same VisitFields that read it: as YAML (the resolved
// OUT/experiment.yaml, a run's /config spec) and as flat "path = value" pairs (run ids).
// Reading what SpecToYaml wrote gives the same spec back.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "experiments/experiment_spec.h"
#include "experiments/spec_reader.h"

namespace florenz {

// Shortest text that reads back as exactly `value` ("0.001", not "0.0010000000000000000208").
std::string FormatNumber(double value);

namespace spec_io {

// Emits a spec value as YAML. VisitFields takes a mutable visitor target, so the const
// objects are cast; the writer never modifies them.
class YamlWriter {
 public:
  explicit YamlWriter(YAML::Emitter& out) : out_(out) {}

  template <class T>
  void Write(const T& value) {
    if constexpr (spec_traits::HasFields<T>::value) {
      out_ << YAML::BeginMap;
      const_cast<T&>(value).VisitFields(*this);
      out_ << YAML::EndMap;
    } else if constexpr (spec_traits::IsVector<T>::value) {
      constexpr bool kScalars = !spec_traits::HasFields<typename T::value_type>::value;
      if (kScalars) out_ << YAML::Flow;
      out_ << YAML::BeginSeq;
      for (const auto& element : value) Write(element);
      out_ << YAML::EndSeq;
    } else if constexpr (spec_traits::IsMap<T>::value) {
      constexpr bool kScalars = !spec_traits::HasFields<typename T::mapped_type>::value &&
                                !spec_traits::IsMap<typename T::mapped_type>::value;
      if (kScalars) out_ << YAML::Flow;
      out_ << YAML::BeginMap;
      for (const auto& [key, element] : value) {
        out_ << YAML::Key << KeyText(key) << YAML::Value;
        Write(element);
      }
      out_ << YAML::EndMap;
    } else {
      out_ << ScalarText(value);
    }
  }

  template <class T>
  void operator()(const char* key, T& member) {
    out_ << YAML::Key << key << YAML::Value;
    Write(member);
  }

  // A scalar as the YAML writes it (also the text of a hyperparameter axis value).
  static std::string ScalarText(bool v) { return v ? "true" : "false"; }
  static std::string ScalarText(int v) { return std::to_string(v); }
  static std::string ScalarText(int64_t v) { return std::to_string(v); }
  static std::string ScalarText(double v) { return FormatNumber(v); }
  static std::string ScalarText(const std::string& v) { return v; }
  static std::string ScalarText(const Duration& v) { return std::to_string(v.seconds); }
  template <class E, class = std::enable_if_t<IsNamedEnum<E>::value>>
  static std::string ScalarText(E v) {
    return ToString(v);
  }

 private:
  template <class K>
  static std::string KeyText(const K& key) {
    if constexpr (std::is_same_v<K, std::string>) {
      return key;
    } else {
      return ToString(key);
    }
  }

  YAML::Emitter& out_;
};

using FlatSpec = std::map<std::string, std::string>;

// Flattens a spec value into "path" -> "value" pairs, leaving out every value that equals
// the default of its struct: a key added to florenz later with a default does not change
// the flat form (and so the ids) of runs that were already defined.
class Flattener {
 public:
  template <class T>
  static FlatSpec Flatten(const T& value) {
    FlatSpec out;
    Add(value, "", &out);
    return out;
  }

  template <class T>
  void operator()(const char* key, T& member) {
    Add(member, prefix_.empty() ? std::string(key) : prefix_ + "." + key, out_);
  }

 private:
  Flattener(std::string prefix, FlatSpec* out) : prefix_(std::move(prefix)), out_(out) {}

  template <class T>
  static FlatSpec AllFields(const T& value) {
    FlatSpec all;
    Flattener visitor("", &all);
    const_cast<T&>(value).VisitFields(visitor);
    return all;
  }

  template <class T>
  static void Add(const T& value, const std::string& path, FlatSpec* out) {
    if constexpr (spec_traits::HasFields<T>::value) {
      // A struct's defaults flattened once per type (run ids flatten every run's spec).
      static const FlatSpec defaults = AllFields(T{});
      for (const auto& [key, text] : AllFields(value)) {
        auto it = defaults.find(key);
        if (it != defaults.end() && it->second == text) continue;
        (*out)[path.empty() ? key : path + "." + key] = text;
      }
    } else if constexpr (spec_traits::IsVector<T>::value) {
      (*out)[path + ".size"] = std::to_string(value.size());
      for (size_t i = 0; i < value.size(); ++i) {
        Add(value[i], path + "[" + std::to_string(i) + "]", out);
      }
    } else if constexpr (spec_traits::IsMap<T>::value) {
      (*out)[path + ".size"] = std::to_string(value.size());
      for (const auto& [key, element] : value) {
        if constexpr (std::is_same_v<typename T::key_type, std::string>) {
          Add(element, path + "." + key, out);
        } else {
          Add(element, path + "." + ToString(key), out);
        }
      }
    } else {
      (*out)[path] = Text(value);
    }
  }

  static std::string Text(bool v) { return v ? "true" : "false"; }
  static std::string Text(int v) { return std::to_string(v); }
  static std::string Text(int64_t v) { return std::to_string(v); }
  static std::string Text(double v) { return FormatNumber(v); }
  static std::string Text(const std::string& v) { return "\"" + v + "\""; }
  static std::string Text(const Duration& v) { return std::to_string(v.seconds); }
  template <class E, class = std::enable_if_t<IsNamedEnum<E>::value>>
  static std::string Text(E v) {
    return ToString(v);
  }

  std::string prefix_;
  FlatSpec* out_;
};

}  // namespace spec_io

// The spec as a YAML document that loads back into the same spec.
std::string SpecToYaml(const ExperimentSpec& spec);

}  // namespace florenz
