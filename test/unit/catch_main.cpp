#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "catch_exit_status.h"

int main(int argc, char **argv) { return lucet_catch_main(argc, argv); }
