// Catch2 main without Catch's SIGSEGV/SIGBUS/... handlers: they would replace
// the runtime's fault handler for the duration of every test case, so guest
// faults would be reported as test crashes instead of becoming traps.
#define CATCH_CONFIG_NO_POSIX_SIGNALS
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
