# The grid-spec sources of experiments/ (no HDF5): shared by experiments/CMakeLists.txt and
# the libFuzzer build in fuzz/ (with core/errors.cc), so the fuzzer always exercises exactly what florenz runs.
set(FLORENZ_GRID_SPEC_SOURCES
  did_you_mean.cc
  spec_enums.cc
  language_options.cc
  model_size.cc
  model_cost.cc
  experiment_spec.cc
  spec_reader.cc
  spec_validation.cc
  spec_writer.cc
  grid_axes.cc
  grid_expansion.cc
  branching.cc
  learning_rate_rule.cc
  run_id.cc
  grid_loader.cc
)
