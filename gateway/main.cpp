// fsgate: the executable. Parses the command line and runs `serve`.
#include <cstdio>

#include "build_config.h"

int main() {
  std::puts("fsgate " FSGATE_VERSION);
  return 0;
}
