#include "core/clock.h"

namespace gaon {

Clock& Clock::Real() {
  static SystemClock clock;
  return clock;
}

}  // namespace gaon
