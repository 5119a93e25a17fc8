// The data generator's checks of a grid, run by the grid loader after experiments/' own
// (experiments/grid_loader.h, GridCheck): homonyms that exist, homonym senses that differ in
// every translation language, captions that fit max_caption_tokens, objects that fit the
// image, and a vocabulary that fits the model's embedding.
#pragma once

#include "experiments/experiment_spec.h"
#include "experiments/spec_locations.h"

namespace florenz::data {

void CheckDataSpec(const ExperimentSpec& spec, const SpecLocations& where, Diagnostics* problems);

}  // namespace florenz::data
