// Hyperparameter axes (grid_axis.h): finding the lists in a grid's YAML, and the grid at one
// point of its axes. The loader (grid_loader.cc) reads and validates the grid once per
// combination of values; expansion (grid_expansion.cc) repeats the grid's runs per combination.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "experiments/experiment_spec.h"
#include "experiments/spec_locations.h"

namespace florenz {

// The sections whose scalars may be lists.
inline constexpr const char* kAxisSections[] = {"training.optimizer", "training.schedule"};

// Most combinations of axis values one grid may hold (each is validated as its own grid).
constexpr int64_t kMaxAxisCombinations = 1000;

// The lists of a grid's YAML, with their nodes (for messages and for reading each value).
struct AxesInYaml {
  std::vector<GridAxis> axes;  // values as written; the loader canonicalises them
  std::vector<std::vector<YAML::Node>> value_nodes;  // per axis, per value
  std::vector<YAML::Node> parents;                   // the mapping that holds each list
  // Per include / exclude entry: the axis keys it named (taken out of the entry) and their
  // value nodes.
  std::vector<std::map<std::string, YAML::Node>> include_values, exclude_values;
};

// Finds the lists under kAxisSections of `root` and takes every key naming one of them out of
// the include / exclude entries. A list must hold scalars, at least one. Problems go to
// `problems` at the grid's lines.
AxesInYaml FindAxes(YAML::Node root, const std::string& file, Diagnostics* problems);

// Puts value point[a] of every axis a in place of its list in the YAML, so that SpecReader
// reads one grid.
void SetAxisPoint(AxesInYaml& found, const std::vector<size_t>& point);

// Combinations of the axes' values, and the point of combination `index` (the last axis
// varies fastest).
int64_t AxisCombinations(const std::vector<GridAxis>& axes);
std::vector<size_t> AxisPoint(const std::vector<GridAxis>& axes, int64_t index);

// The text of the scalar at `path` as the spec writer writes it ("0.003", "wsd"); false when
// `path` names no scalar of the spec.
bool ScalarText(const ExperimentSpec& spec, const std::string& path, std::string* text);

// Reads `value` into the scalar at `path` of `spec`; problems go to `problems` at the value's
// line.
void ReadScalarAt(ExperimentSpec& spec, const std::string& path, const YAML::Node& value,
                  const std::string& file, Diagnostics* problems);

// The grid at one point of its axes: each axis's scalar set to its value, `axes` cleared, and
// include / exclude keeping only the entries whose axis values match the point (with those
// values cleared).
ExperimentSpec AtAxisPoint(const ExperimentSpec& grid, const std::vector<size_t>& point);

// "lr0.003-wd0.1": the point's part of a run id ("" without axes).
std::string AxisIdTag(const std::vector<GridAxis>& axes, const std::vector<size_t>& point);

// The grid with its axes' scalars at their defaults and no axes: what stays the same when an
// axis grows or shrinks (orchestrator/experiment_identity.h).
ExperimentSpec WithoutAxisValues(ExperimentSpec spec);

// The YAML of SpecToYaml with each axis written back as its list and each include / exclude
// entry's axis values as keys.
std::string WriteAxes(const ExperimentSpec& spec, const std::string& yaml);

}  // namespace florenz
