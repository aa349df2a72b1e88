/* Clocks: monotonic never goes back and advances; realtime is about now;
 * resolutions are positive; an unknown clock is EINVAL. */
#include <time.h>
#include <wasi/api.h>
#include "guest_check.h"

int main(void) {
    struct timespec a, b, r;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
    long long spins = 0;
    do {
        CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
        CHECK(b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec));
        spins++;
    } while (b.tv_sec == a.tv_sec && b.tv_nsec - a.tv_nsec < 1000000 && spins < 100000000);
    CHECK(b.tv_sec > a.tv_sec || b.tv_nsec - a.tv_nsec >= 1000000);
    CHECK(clock_getres(CLOCK_MONOTONIC, &r) == 0 && (r.tv_sec > 0 || r.tv_nsec > 0));
    CHECK(clock_gettime(CLOCK_REALTIME, &a) == 0 && a.tv_sec > 1577836800);  /* after 2020 */
    CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a) == 0);
    __wasi_timestamp_t t;
    CHECK_ERRNO(__wasi_clock_time_get(7, 0, &t), __WASI_ERRNO_INVAL);
    printf("clocks ok\n");
    return 0;
}
