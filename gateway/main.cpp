// fsgate: the executable. Parses the command line and runs `serve`.
#include <cstdio>

int main() {
  std::puts("fsgate " FSGATE_VERSION);
  return 0;
}
