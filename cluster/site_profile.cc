// Loading and validating site profiles (see site_profile.h). Reading goes through the grid's
// SpecReader (unknown keys, types, "did you mean"); the checks below add what a batch script
// needs, each reported at the position of the value at fault.
#include "cluster/site_profile.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cluster/shell_quote.h"
#include "experiments/spec_reader.h"
#include "experiments/spec_validation.h"

namespace florenz {

const std::vector<std::pair<cluster::LauncherKind, std::string>>&
EnumNames<cluster::LauncherKind>::Table() {
  static const std::vector<std::pair<cluster::LauncherKind, std::string>> table = {
      {cluster::LauncherKind::kSrun, "srun"},
      {cluster::LauncherKind::kMpirun, "mpirun"},
      {cluster::LauncherKind::kNone, "none"},
  };
  return table;
}

namespace cluster {
namespace {

constexpr size_t kMaxProfileBytes = 1 << 20;

bool IsVariableName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char ch : name) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (!(std::isalnum(c) || c == '_') || c >= 0x80) return false;
  }
  return true;
}

// Variables the batch script sets itself, or that would change how bash runs it.
bool IsReservedVariable(const std::string& name) {
  static const char* const kReserved[] = {"IFS", "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS4"};
  for (const char* reserved : kReserved) {
    if (name == reserved) return true;
  }
  return name.rfind("SLURM_", 0) == 0 || name.rfind("FLORENZ_JOB_", 0) == 0;
}

class ProfileChecker {
 public:
  ProfileChecker(const SiteProfile& profile, const SpecLocations& where, Diagnostics* problems)
      : p_(profile), where_(where), problems_(problems) {}

  void Check() {
    if (p_.name.empty()) {
      Fail(p_.name, "name: required (it names the jobs)");
    } else if (!IsSafeName(p_.name)) {
      Fail(p_.name, "name: '" + p_.name +
                        "' must be 1-64 letters, digits, '.', '_' or '-' (it names the jobs)");
    }
    SbatchValue(p_.partition, "partition", /*optional=*/true);
    SbatchValue(p_.account, "account", true);
    SbatchValue(p_.qos, "qos", true);
    SbatchValue(p_.memory, "memory", true);
    if (!p_.memory.empty() && !IsMemory(p_.memory)) {
      Fail(p_.memory, "memory: '" + p_.memory +
                          "' is not a Slurm size: digits with an optional K, M, G or T (`4G`)");
    }
    Range(p_.nodes, "nodes", 1, 100000);
    Range(p_.tasks_per_node, "tasks_per_node", 1, 1024);
    Range(p_.gpus_per_node, "gpus_per_node", 0, 64);
    Range(p_.cpus_per_task, "cpus_per_task", 1, 4096);
    if (p_.time_limit.seconds < 60) {
      Fail(p_.time_limit, "time_limit: at least 60 seconds (Slurm counts whole minutes)");
    }
    if (p_.warning_lead.seconds < 1 || p_.warning_lead.seconds > 65535) {
      Fail(p_.warning_lead, "warning_lead: 1 to 65535 seconds (--signal's range)");
    } else if (p_.warning_lead.seconds >= p_.time_limit.seconds) {
      Fail(p_.warning_lead, "warning_lead: " + std::to_string(p_.warning_lead.seconds) +
                                " s is not shorter than time_limit " +
                                std::to_string(p_.time_limit.seconds) + " s");
    }
    for (const auto& module : p_.modules) Text(module, "modules", module);
    for (const auto& [name, value] : p_.environment) {
      if (!IsVariableName(name)) {
        Fail(value, "environment: '" + name + "' is not a variable name ([A-Za-z_][A-Za-z0-9_]*)");
      } else if (IsReservedVariable(name)) {
        Fail(value, "environment: '" + name + "' is set by Slurm or the batch script itself");
      }
      const std::string why = RejectReason(value, nullptr);
      if (!why.empty() && !value.empty()) Fail(value, "environment." + name + ": value " + why);
    }
    if (!p_.launcher.mpi.empty()) {
      if (p_.launcher.kind != LauncherKind::kSrun) {
        Fail(p_.launcher.mpi, "launcher.mpi: only srun takes a PMI plugin (--mpi=)");
      }
      Name(p_.launcher.mpi, "launcher.mpi");
    }
    for (const auto& arg : p_.launcher.args) Text(arg, "launcher.args", arg);
    if (p_.launcher.kind == LauncherKind::kNone && p_.tasks() > 1) {
      Fail(p_.launcher.kind,
           "launcher.kind: none starts one process, but nodes × tasks_per_node = " +
               std::to_string(p_.tasks()));
    }
    if (p_.launcher.kind == LauncherKind::kSrun && p_.launcher.mpi == "none" && p_.tasks() > 1) {
      Fail(p_.launcher.mpi, "launcher.mpi: none starts " + std::to_string(p_.tasks()) +
                                " unconnected processes (nodes × tasks_per_node), which would "
                                "each train the same runs; use pmix or pmi2, or kind: mpirun");
    }
    for (const auto& option : p_.sbatch_options) SbatchOption(option);
    if (!p_.florenz.empty()) {
      Text(p_.florenz, "florenz", p_.florenz);
      if (p_.florenz[0] != '/') Fail(p_.florenz, "florenz: give an absolute path");
    }
  }

 private:
  template <class T>
  void Fail(const T& member, const std::string& message) {
    problems_->Error(where_.Of(member), message);
  }

  template <class T>
  void Range(const T& value, const char* key, int64_t low, int64_t high) {
    if (value < low || value > high) {
      Fail(value, std::string(key) + ": " + std::to_string(value) + " is outside " +
                      std::to_string(low) + "…" + std::to_string(high));
    }
  }

  void SbatchValue(const std::string& value, const char* key, bool optional) {
    if (optional && value.empty()) return;
    const std::string why = RejectReason(value, kSbatchChars);
    if (!why.empty()) {
      Fail(value, std::string(key) + ": '" + Printable(value) + "' " + why +
                      "; #SBATCH values may hold " + DescribeChars(kSbatchChars));
    }
  }

  void Name(const std::string& value, const char* key) {
    const std::string why = RejectReason(value, kNameChars);
    if (!why.empty()) {
      Fail(value, std::string(key) + ": '" + Printable(value) + "' " + why +
                      "; allowed: " + DescribeChars(kNameChars));
    }
  }

  // Free text that the script shell-quotes: anything but control characters.
  void Text(const std::string& value, const char* key, const std::string& member) {
    const std::string why = RejectReason(value, nullptr);
    if (!why.empty()) Fail(member, std::string(key) + ": '" + Printable(value) + "' " + why);
  }

  void SbatchOption(const std::string& option) {
    const size_t equals = option.find('=');
    if (option.rfind("--", 0) != 0 || equals == std::string::npos || equals == 2) {
      Fail(option, "sbatch_options: '" + Printable(option) + "' is not of the form --key=value");
      return;
    }
    const std::string key = option.substr(2, equals - 2);
    const auto& allowed = AllowedSbatchOptions();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (const auto& k : allowed) list += (list.empty() ? "" : ", ") + k;
      Fail(option, "sbatch_options: --" + Printable(key) + " is not allowed" +
                       DidYouMean(key, allowed) +
                       " (the script sets the others itself); allowed: " + list);
      return;
    }
    const std::string value = option.substr(equals + 1);
    const std::string why = RejectReason(value, kSbatchOptionChars);
    if (!why.empty()) {
      Fail(option, "sbatch_options: the value of --" + key + " " + why +
                       "; allowed: " + DescribeChars(kSbatchOptionChars));
    }
  }

  static bool IsMemory(const std::string& text) {
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    if (digits == 0 || digits > 12) return false;
    if (digits == text.size()) return true;
    return digits + 1 == text.size() && std::strchr("KMGTkmgt", text.back()) != nullptr;
  }

  // A value as it may be shown in a one-line message.
  static std::string Printable(const std::string& value) {
    std::string shown;
    for (char c : value) shown += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
    return shown.size() > 80 ? shown.substr(0, 77) + "..." : shown;
  }

  const SiteProfile& p_;
  const SpecLocations& where_;
  Diagnostics* problems_;
};

}  // namespace

const std::vector<std::string>& AllowedSbatchOptions() {
  static const std::vector<std::string> allowed = {
      "constraint",         "reservation", "exclude", "nodelist", "licenses",      "mail-type",
      "mail-user",          "comment",     "wckey",   "gres",     "gpus-per-task", "gpu-bind",
      "mem-per-cpu",        "mem-per-gpu", "hint",    "switches", "network",       "distribution",
      "cluster-constraint",
  };
  return allowed;
}

SiteProfile LoadSiteProfileFromString(const std::string& text, const std::string& name) {
  if (text.size() > kMaxProfileBytes) {
    throw ConfigError(SourceLocation{name, 0, 0}, "profile is larger than 1 MiB");
  }
  const YAML::Node root =
      LoadYamlMapping(text, name, "the profile is empty",
                      "expected a mapping with name, partition, nodes, ... at the top level");
  SiteProfile profile;
  Diagnostics problems;
  SpecLocations where(name);
  SpecReader reader(name, &problems, &where);
  reader.Read(root, profile, "");
  problems.ThrowIfAny();
  ProfileChecker(profile, where, &problems).Check();
  problems.ThrowIfAny();
  return profile;
}

SiteProfile LoadSiteProfile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(SourceLocation{path, 0, 0}, "cannot open the profile");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(SourceLocation{path, 0, 0}, "cannot read the profile");
  return LoadSiteProfileFromString(text.str(), path);
}

}  // namespace cluster
}  // namespace florenz
