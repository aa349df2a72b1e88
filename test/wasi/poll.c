/* poll_oneoff from a guest: relative and absolute clocks, a past deadline,
 * a regular file ready at once with nbytes, several events in one call. */
#include <string.h>
#include <wasi/api.h>
#include "guest_check.h"

static __wasi_timestamp_t now(__wasi_clockid_t id) {
    __wasi_timestamp_t t;
    CHECK_ERRNO(__wasi_clock_time_get(id, 1, &t), 0);
    return t;
}

static __wasi_subscription_t clock_sub(__wasi_userdata_t ud, __wasi_clockid_t id, __wasi_timestamp_t t, int abs) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = ud;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = id;
    s.u.u.clock.timeout = t;
    s.u.u.clock.flags = abs ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
    return s;
}

int main(void) {
    __wasi_event_t ev[4];
    __wasi_size_t n;
    /* Relative 10 ms on the monotonic clock. */
    __wasi_timestamp_t t0 = now(__WASI_CLOCKID_MONOTONIC);
    __wasi_subscription_t s[3] = {clock_sub(1, __WASI_CLOCKID_MONOTONIC, 10000000, 0)};
    CHECK_ERRNO(__wasi_poll_oneoff(s, ev, 1, &n), 0);
    CHECK(n == 1 && ev[0].userdata == 1 && ev[0].error == 0 && ev[0].type == __WASI_EVENTTYPE_CLOCK);
    CHECK(now(__WASI_CLOCKID_MONOTONIC) - t0 >= 10000000);
    /* Absolute realtime 10 ms ahead: not early. */
    __wasi_timestamp_t r = now(__WASI_CLOCKID_REALTIME) + 10000000;
    s[0] = clock_sub(2, __WASI_CLOCKID_REALTIME, r, 1);
    CHECK_ERRNO(__wasi_poll_oneoff(s, ev, 1, &n), 0);
    CHECK(n == 1 && ev[0].userdata == 2);
    CHECK(now(__WASI_CLOCKID_REALTIME) >= r);
    /* A past absolute deadline and a regular file: both at once; a 1 h
     * clock does not hold them up. */
    __wasi_fd_t fd;
    CHECK_ERRNO(__wasi_path_open(3, 0, "p", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
                                 __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_POLL_FD_READWRITE |
                                     __WASI_RIGHTS_FD_SEEK,
                                 0, 0, &fd), 0);
    __wasi_ciovec_t c = {(const uint8_t *)"12345", 5};
    CHECK_ERRNO(__wasi_fd_pwrite(fd, &c, 1, 0, &n), 0);
    s[0] = clock_sub(3, __WASI_CLOCKID_MONOTONIC, now(__WASI_CLOCKID_MONOTONIC) - 1, 1);
    s[1] = clock_sub(4, __WASI_CLOCKID_MONOTONIC, 3600ull * 1000000000ull, 0);
    memset(&s[2], 0, sizeof s[2]);
    s[2].userdata = 5;
    s[2].u.tag = __WASI_EVENTTYPE_FD_READ;
    s[2].u.u.fd_read.file_descriptor = fd;
    t0 = now(__WASI_CLOCKID_MONOTONIC);
    CHECK_ERRNO(__wasi_poll_oneoff(s, ev, 3, &n), 0);
    CHECK(now(__WASI_CLOCKID_MONOTONIC) - t0 < 1000000000ull);
    CHECK(n == 2);
    int seen3 = 0, seen5 = 0;
    for (unsigned i = 0; i < n; i++) {
        if (ev[i].userdata == 3) seen3 = ev[i].type == __WASI_EVENTTYPE_CLOCK;
        if (ev[i].userdata == 5) seen5 = ev[i].type == __WASI_EVENTTYPE_FD_READ && ev[i].fd_readwrite.nbytes == 5;
    }
    CHECK(seen3 && seen5);
    /* A bad fd is an event with EBADF, not a failed call. */
    s[0].userdata = 6;
    s[0].u.tag = __WASI_EVENTTYPE_FD_WRITE;
    s[0].u.u.fd_write.file_descriptor = 99;
    CHECK_ERRNO(__wasi_poll_oneoff(s, ev, 1, &n), 0);
    CHECK(n == 1 && ev[0].userdata == 6 && ev[0].error == __WASI_ERRNO_BADF);
    CHECK_ERRNO(__wasi_poll_oneoff(s, ev, 0, &n), __WASI_ERRNO_INVAL);
    printf("poll ok\n");
    return 0;
}
