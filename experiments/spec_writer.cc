// YAML output of a spec, and number formatting that round-trips.
#include "experiments/spec_writer.h"

#include <cstdio>
#include <cstdlib>

#include "experiments/grid_axes.h"

namespace florenz {

std::string FormatNumber(double value) {
  char buffer[40];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  std::string text = buffer;
  // Keep numbers recognisable as floating point when read back by YAML tools.
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

std::string SpecToYaml(const ExperimentSpec& spec) {
  YAML::Emitter out;
  out.SetIndent(2);
  spec_io::YamlWriter writer(out);
  writer.Write(spec);
  return WriteAxes(spec, std::string(out.c_str()) + "\n");
}

}  // namespace florenz
