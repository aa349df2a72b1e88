// names.h (internal to the decoder): the "name" custom section.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lucet::detail {

// Parses the function-name subsection of a "name" section payload in
// data[begin, end). Returns (function index, name) pairs, or nothing at all
// if any part of the section is malformed (names are best-effort).
std::vector<std::pair<uint32_t, std::string>> parse_function_names(const uint8_t *data, size_t begin, size_t end);

}  // namespace lucet::detail
