// file_bytes.h: reading a whole regular file, for the module loader and the
// signing tools (both must see one consistent copy of the bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace lucet {

// The contents of the regular file at `path` (refused: not a regular file,
// larger than max_size). Messages name the path and the reason.
Result<std::vector<uint8_t>> read_file_bytes(const std::string &path, uint64_t max_size);

// Writes all `len` bytes of `data` to `fd`, again after a short write or
// EINTR. 0 when done, else the errno of the failure (EIO for a write that
// wrote nothing).
int write_all(int fd, const void *data, size_t len);

}  // namespace lucet
