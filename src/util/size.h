// size.h: the human size forms of the seed document: "4 GiB", "64MiB", "4096",
// "2GiB", "512 KiB", "1 MB" (decimal), "8G" (binary). Case-insensitive units.
#pragma once

#include <cstdint>
#include <string>

#include "util/result.h"

namespace lucet {
Result<uint64_t> parse_size(const std::string &text);
std::string format_size(uint64_t bytes);  // "8 GiB", "4096 B"
}  // namespace lucet
