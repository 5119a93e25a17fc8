// LoadErrorOf: the ConfigError message LoadFitData gives for `options`, "" when it loads.
#pragma once

#include <string>

#include "core/errors.h"
#include "fitting/fit_input.h"

namespace florenz::testing {

inline std::string LoadErrorOf(const FitInputOptions& options) {
  try {
    LoadFitData(options);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace florenz::testing
