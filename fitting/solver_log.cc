// HideSolverWarnings (solver_log.h).
#include "fitting/solver_log.h"

#include <glog/logging.h>

namespace florenz {

void HideSolverWarnings() { FLAGS_minloglevel = google::GLOG_ERROR; }

}  // namespace florenz
