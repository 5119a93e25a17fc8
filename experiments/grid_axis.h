// GridAxis: a hyperparameter given as a list in the grid (docs/grid-spec.md, "Hyperparameter
// axes"). Any scalar of training.optimizer or training.schedule may be a list; each value is a
// point on the axis, like a size or a budget: the grid holds its runs once per value.
#pragma once

#include <string>
#include <vector>

namespace florenz {

struct GridAxis {
  // The scalar's path in the grid: "training.optimizer.learning_rate".
  std::string path;
  // Its key, by which include/exclude entries name the axis: "learning_rate".
  std::string key;
  // Its short name in run ids: "lr" (m-80k-s0-lr0.003-1a2b3c4d).
  std::string tag;
  // The values in the grid's order, each as the spec writes the scalar ("0.003", "wsd").
  std::vector<std::string> values;
};

}  // namespace florenz
