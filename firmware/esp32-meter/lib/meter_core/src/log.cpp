#include <cstdarg>
#include <cstdio>

#include "meter/hal.h"

namespace meter {

void logf(Logger* logger, LogLevel level, const char* format, ...) {
  if (logger == nullptr) {
    return;
  }
  char message[256];
  va_list args;
  va_start(args, format);
  std::vsnprintf(message, sizeof message, format, args);
  va_end(args);
  logger->log(level, message);
}

}  // namespace meter
