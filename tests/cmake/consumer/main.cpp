#include <zlib.h>
#include <hotpath/hotpath.hpp>

#include <cstdio>

int main() {
  hotpath::metrics::registry reg;
  reg.add_counter("consumer_runs_total", "Runs.").with().inc();
  bool ok = reg.get_counter("consumer_runs_total").with().value() == 1;
  std::printf("hotpath %d.%d.%d metrics %s, zlib %s\n", HOTPATH_VERSION_MAJOR,
              HOTPATH_VERSION_MINOR, HOTPATH_VERSION_PATCH, ok ? "ok" : "broken", zlibVersion());
  return ok ? 0 : 1;
}
