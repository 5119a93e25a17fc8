// ExperimentSpec: a grid file, read one-to-one into options structs (STYLE.md, rule 5).
// Loading, validation and expansion into runs live in grid_loader.h and grid_expansion.h.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "experiments/data_options.h"
#include "experiments/evaluation_options.h"
#include "experiments/execution_options.h"
#include "experiments/grid_axis.h"
#include "experiments/model_options.h"
#include "experiments/training_options.h"

namespace florenz {

struct ExperimentInfo {
  // Name of the experiment (letters, digits, '.', '_', '-').
  std::string name;
  // Free text for humans.
  std::string description;
  // One run per seed per (size, budget); the seed drives initialisation and the training stream.
  std::vector<int64_t> seeds{0};

  template <class V>
  void VisitFields(V& v) {
    v("name", name);
    v("description", description);
    v("seeds", seeds);
  }
};

// Selects runs of the grid in `include` / `exclude`. Empty or 0 fields match anything in
// `exclude`; in `include` size and budget are required and seed defaults to the first seed.
// An entry may also name hyperparameter axes by key (`learning_rate: 3e-3`): it then selects only
// runs at those values. The loader takes those keys out of the YAML before reading and keeps
// them in axis_values (axis key -> value as GridAxis::values writes it), outside VisitFields.
struct RunSelector {
  std::string size;
  int64_t budget = 0;
  int64_t seed = -1;
  std::map<std::string, std::string> axis_values;

  template <class V>
  void VisitFields(V& v) {
    v("size", size);
    v("budget", budget);
    v("seed", seed);
  }
};

struct ExperimentSpec {
  ExperimentInfo experiment;
  DataOptions data;
  ModelOptions model;
  TrainingOptions training;
  EvaluationOptions evaluation;
  ParallelOptions parallel;
  ExecutionOptions execution;
  // Runs added to sizes × budgets × seeds (e.g. one larger budget for the largest size).
  std::vector<RunSelector> include;
  // Runs removed from sizes × budgets × seeds.
  std::vector<RunSelector> exclude;
  // Hyperparameter axes (grid_axis.h), outside VisitFields: the scalars above hold each axis's
  // first value, and expansion repeats the grid once per combination of values. Empty for a
  // grid without lists and in the spec of one run.
  std::vector<GridAxis> axes;

  template <class V>
  void VisitFields(V& v) {
    v("experiment", experiment);
    v("data", data);
    v("model", model);
    v("training", training);
    v("evaluation", evaluation);
    v("parallel", parallel);
    v("execution", execution);
    v("include", include);
    v("exclude", exclude);
  }
};

}  // namespace florenz
