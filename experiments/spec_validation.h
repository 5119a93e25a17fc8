// Checks of a freshly read grid that no single key can make: ranges, names, the coverage
// matrix against the languages, tensor-parallel degrees against the model's dimensions.
// Every problem is reported at the FILE:LINE:COLUMN of the value at fault.
#pragma once

#include "experiments/experiment_spec.h"
#include "experiments/spec_locations.h"

namespace florenz {

// Resolves each model size (presets, `layers`) in place; then checks the whole spec.
// `where` must have been filled while reading this very `spec` object.
void ResolveAndValidate(ExperimentSpec& spec, const SpecLocations& where, Diagnostics* problems);

// True for names that may appear in file names and run ids: [A-Za-z0-9._-]+, not starting
// with '.' or '-', at most 64 characters.
bool IsSafeName(const std::string& name);

}  // namespace florenz
