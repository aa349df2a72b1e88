// hostcalls_env.cpp: arguments, environment, clocks, randomness, scheduling.
#include <sched.h>
#include <time.h>

#include <uv.h>

#include "wasi/wasi_errno.h"
#include "wasi/hostcalls.h"

namespace lucet::wasi {

namespace {

// Shared by args_* and environ_*: a vector of strings laid out as an array of
// u32 pointers into one buffer of NUL-terminated strings.
Errno strings_get(Call &c, const std::vector<std::string> &v, uint32_t ptrs, uint32_t buf) {
    uint64_t total = 0;
    for (const auto &s : v) total += s.size() + 1;
    if (!c.mem.in_bounds(ptrs, uint64_t(v.size()) * 4) || !c.mem.in_bounds(buf, total)) return Errno::FAULT;
    uint32_t at = buf;
    for (size_t i = 0; i < v.size(); i++) {
        c.mem.write<uint32_t>(ptrs + 4 * uint64_t(i), at);
        c.mem.write_bytes(at, v[i].c_str(), v[i].size() + 1);
        at += static_cast<uint32_t>(v[i].size() + 1);
    }
    return Errno::SUCCESS;
}

Errno strings_sizes(Call &c, const std::vector<std::string> &v, uint32_t count_out, uint32_t size_out) {
    uint64_t total = 0;
    for (const auto &s : v) total += s.size() + 1;
    // Sizes are u32 in the ABI: a list that does not fit cannot be passed.
    if (total > UINT32_MAX || v.size() > UINT32_MAX) return Errno::OVERFLOW;
    if (!c.mem.in_bounds(count_out, 4) || !c.mem.in_bounds(size_out, 4)) return Errno::FAULT;
    c.mem.write<uint32_t>(count_out, static_cast<uint32_t>(v.size()));
    c.mem.write<uint32_t>(size_out, static_cast<uint32_t>(total));
    return Errno::SUCCESS;
}

bool host_clock(uint32_t id, clockid_t &out) {
    switch (static_cast<ClockId>(id)) {
    case ClockId::REALTIME: out = CLOCK_REALTIME; return true;
    case ClockId::MONOTONIC: out = CLOCK_MONOTONIC; return true;
    case ClockId::PROCESS_CPUTIME: out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case ClockId::THREAD_CPUTIME: out = CLOCK_THREAD_CPUTIME_ID; return true;
    }
    return false;
}

}  // namespace

Errno args_get(Call &c, uint32_t argv, uint32_t argv_buf) { return strings_get(c, c.ctx.args(), argv, argv_buf); }
Errno args_sizes_get(Call &c, uint32_t argc_out, uint32_t size_out) {
    return strings_sizes(c, c.ctx.args(), argc_out, size_out);
}
Errno environ_get(Call &c, uint32_t env, uint32_t env_buf) { return strings_get(c, c.ctx.env(), env, env_buf); }
Errno environ_sizes_get(Call &c, uint32_t count_out, uint32_t size_out) {
    return strings_sizes(c, c.ctx.env(), count_out, size_out);
}

Errno clock_res_get(Call &c, uint32_t id, uint32_t res_out) {
    clockid_t hc;
    if (!host_clock(id, hc)) return Errno::INVAL;
    struct timespec ts;
    if (clock_getres(hc, &ts) != 0) return errno_from_host(errno);
    uint64_t ns = uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
    if (ns == 0) ns = 1;  // a resolution of 0 would be a lie (and divides badly in guests)
    return c.mem.write<uint64_t>(res_out, ns) ? Errno::SUCCESS : Errno::FAULT;
}

Errno clock_time_get(Call &c, uint32_t id, uint64_t /*precision: a hint*/, uint32_t time_out) {
    uint64_t ns;
    if (static_cast<ClockId>(id) == ClockId::MONOTONIC) {
        // libuv's monotonic clock (CLOCK_MONOTONIC on Linux), as in uvwasi.
        ns = uv_hrtime();
    } else {
        clockid_t hc;
        if (!host_clock(id, hc)) return Errno::INVAL;
        struct timespec ts;
        if (clock_gettime(hc, &ts) != 0) return errno_from_host(errno);
        ns = uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
    }
    return c.mem.write<uint64_t>(time_out, ns) ? Errno::SUCCESS : Errno::FAULT;
}

Errno random_get(Call &c, uint32_t buf, uint32_t buf_len) {
    uint8_t *p = c.mem.span(buf, buf_len);
    if (!p) return Errno::FAULT;
    // uv_random without a loop is synchronous (getrandom(2) on Linux). Go in
    // chunks: libuv caps one request's size.
    uint32_t done = 0;
    while (done < buf_len) {
        uint32_t n = std::min<uint32_t>(buf_len - done, 65536);
        int r = uv_random(nullptr, nullptr, p + done, n, 0, nullptr);
        if (r != 0) return errno_from_uv(r);
        done += n;
    }
    return Errno::SUCCESS;
}

Errno sched_yield(Call &) {
    ::sched_yield();
    return Errno::SUCCESS;
}

}  // namespace lucet::wasi
