// Small helpers of the spec types.
#include "experiments/experiment_spec.h"

namespace florenz {

std::string PairName(Task task, const std::string& language) {
  return ToString(task) + "_" + language;
}

}  // namespace florenz
