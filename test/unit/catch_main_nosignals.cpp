// Catch2 main without Catch's SIGSEGV/SIGBUS/... handlers: they would replace
// the runtime's fault handler for the duration of every test case, so guest
// faults would be reported as test crashes instead of becoming traps.
#define CATCH_CONFIG_NO_POSIX_SIGNALS
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "catch_exit_status.h"

int main(int argc, char **argv) { return lucet_catch_main(argc, argv); }
