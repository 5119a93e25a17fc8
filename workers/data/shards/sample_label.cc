// Sample JSON (sample_label.h), through nlohmann-json.
#include "workers/data/shards/sample_label.h"

#include <nlohmann/json.hpp>

#include "core/errors.h"

namespace florenz::data {
namespace {

[[noreturn]] void Bad(const std::string& where, const std::string& why) {
  throw ConfigError(SourceLocation{where, 0, 0}, why);
}

std::string StringField(const nlohmann::json& json, const char* name, const std::string& where) {
  const auto it = json.find(name);
  if (it == json.end()) Bad(where, std::string("the sample's JSON has no \"") + name + "\"");
  if (!it->is_string()) Bad(where, std::string("\"") + name + "\" is not a string");
  return it->get<std::string>();
}

void CheckLanguage(const std::string& code, const char* field, const std::string& where) {
  bool ok = !code.empty() && code.size() <= 16;
  for (const char c : code) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  }
  if (!ok) {
    Bad(where, std::string("\"") + field + "\": '" + code +
                   "' is not a language code (1-16 of a-z, 0-9, _ and -, e.g. \"de\")");
  }
}

void CheckText(const std::string& text, const char* field, const std::string& where) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    Bad(where, std::string("\"") + field + "\" is empty");
  }
}

}  // namespace

SampleLabel ParseSampleLabel(const std::string& json_text, const std::string& where) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    Bad(where, std::string("the sample's JSON does not parse: ") + e.what());
  }
  if (!json.is_object()) Bad(where, "the sample's JSON is not an object");
  SampleLabel label;
  const std::string task = StringField(json, "task", where);
  if (!FromString(task, &label.task)) {
    Bad(where, "\"task\": '" + task + "' is not caption or translate");
  }
  label.lang = StringField(json, "lang", where);
  CheckLanguage(label.lang, "lang", where);
  label.text = StringField(json, "text", where);
  CheckText(label.text, "text", where);
  if (label.task == Task::kTranslate) {
    label.src_lang = StringField(json, "src_lang", where);
    CheckLanguage(label.src_lang, "src_lang", where);
    label.src_text = StringField(json, "src_text", where);
    CheckText(label.src_text, "src_text", where);
  }
  return label;
}

std::string SampleLabelJson(const SampleLabel& label) {
  nlohmann::ordered_json json = {{"task", ToString(label.task)}};
  if (label.task == Task::kTranslate) {
    json["src_lang"] = label.src_lang;
    json["lang"] = label.lang;
    json["src_text"] = label.src_text;
  } else {
    json["lang"] = label.lang;
  }
  json["text"] = label.text;
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace florenz::data
