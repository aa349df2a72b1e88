// wasi_errno.h: host error numbers (errno, libuv's negative UV_E*) -> WASI errno.
#pragma once

#include "wasi/wasi_types.h"

namespace lucet::wasi {
// Maps a host errno value (EACCES, ...). Unknown values map to IO rather than
// to SUCCESS, so a host failure is never reported to the guest as success.
Errno errno_from_host(int host_errno);
// Maps a libuv status code (negative UV_E*; 0 maps to SUCCESS).
Errno errno_from_uv(int uv_status);
// "badf", "notcapable", ... (for diagnostics and tests).
const char *errno_name(Errno e);
}  // namespace lucet::wasi
