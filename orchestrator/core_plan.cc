// Core plan (see core_plan.h).
#include "orchestrator/core_plan.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iterator>

namespace florenz {
namespace {

constexpr long kMaxCpu = 1L << 20;

// A non-negative decimal number filling all of `text`, at most kMaxCpu.
std::optional<int> CpuId(const std::string& text) {
  if (text.empty() || text.size() > 8) return std::nullopt;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  const long id = std::strtol(text.c_str(), nullptr, 10);
  if (id > kMaxCpu) return std::nullopt;
  return static_cast<int>(id);
}

CpuList Intersect(const CpuList& a, const CpuList& b) {
  CpuList both;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
  return both;
}

}  // namespace

std::optional<CpuList> ParseCpuList(const std::string& text) {
  std::string body = text;
  while (!body.empty() && (body.back() == '\n' || body.back() == ' ')) body.pop_back();
  CpuList cpus;
  if (body.empty()) return cpus;
  size_t start = 0;
  while (start <= body.size()) {
    const size_t comma = std::min(body.find(',', start), body.size());
    const std::string part = body.substr(start, comma - start);
    const size_t dash = part.find('-');
    const auto first = CpuId(part.substr(0, dash));
    const auto last = dash == std::string::npos ? first : CpuId(part.substr(dash + 1));
    if (!first || !last || *last < *first) return std::nullopt;
    for (int id = *first; id <= *last; ++id) cpus.push_back(id);
    if (cpus.size() > static_cast<size_t>(kMaxCpu)) return std::nullopt;
    start = comma + 1;
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::string FormatCpuList(const CpuList& cpus) {
  std::string text;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!text.empty()) text += ',';
    text += std::to_string(cpus[i]);
    if (j > i) text += '-' + std::to_string(cpus[j]);
    i = j + 1;
  }
  return text;
}

std::string SysfsPciAddress(const std::string& bus_id) {
  unsigned domain = 0, bus = 0, device = 0, function = 0;
  char end = 0;
  if (std::sscanf(bus_id.c_str(), "%x:%x:%x.%x%c", &domain, &bus, &device, &function, &end) != 4 ||
      bus > 0xff || device > 0x1f || function > 0x7 || domain > 0xffff) {
    return "";
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%04x:%02x:%02x.%x", domain, bus, device, function);
  return text;
}

std::vector<CoreBinding> PlanCoreBinding(const std::vector<RankCores>& node) {
  std::vector<CoreBinding> plan(node.size());
  std::vector<CpuList> usable(node.size());
  for (size_t r = 0; r < node.size(); ++r) {
    if (!node[r].trains) continue;
    if (node[r].near_gpu.empty()) {
      plan[r].note = "the kernel does not say which cores are near its GPU";
      continue;
    }
    usable[r] = Intersect(node[r].allowed, node[r].near_gpu);
    if (usable[r].empty()) {
      plan[r].note = "its launcher bound it to cores " + FormatCpuList(node[r].allowed) +
                     ", none of them near its GPU (cores " + FormatCpuList(node[r].near_gpu) +
                     "); launch with --bind-to none (mpirun) or --cpu-bind=none (srun) to let "
                     "florenz bind it";
    }
  }
  for (size_t r = 0; r < node.size(); ++r) {
    if (usable[r].empty()) continue;
    // The ranks sharing this rank's cores, in rank order, and this rank's place among them.
    size_t sharing = 0, place = 0;
    for (size_t s = 0; s < node.size(); ++s) {
      if (usable[s] != usable[r]) continue;
      if (s < r) ++place;
      ++sharing;
    }
    const size_t n = usable[r].size();
    if (sharing > n) {
      plan[r].cores = {usable[r][place % n]};
      continue;
    }
    const size_t begin = place * n / sharing, end = (place + 1) * n / sharing;
    plan[r].cores.assign(usable[r].begin() + begin, usable[r].begin() + end);
  }
  return plan;
}

}  // namespace florenz
