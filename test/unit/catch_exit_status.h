// The Catch2 main of every unit test binary (catch_main.cpp, and
// catch_main_nosignals.cpp without Catch's fatal-signal handlers).
//
// Catch2's own main exits with the number of failed assertions, capped at
// 255; Meson reads exit status 77 as "skipped" and 99 as a harness error, so
// a binary with exactly 77 failed assertions would pass `meson test`. Any
// failure (or a bad command line) exits 1 instead.
#pragma once

inline int lucet_catch_main(int argc, char **argv) {
    return Catch::Session().run(argc, argv) == 0 ? 0 : 1;
}
