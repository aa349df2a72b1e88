/* proc_raise: ignored and invalid signals return, a terminating one ends the
 * instance with exit status 128 + signo (SIGTERM: 143) and no more output. */
#include <wasi/api.h>
#include "guest_check.h"

/* This wasi-libc no longer declares proc_raise (deprecated in preview1);
 * import it directly. $signal numbers in witx order. */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
int32_t proc_raise(int32_t sig);
#define __wasi_proc_raise(s) proc_raise(s)
enum { SIG_NONE = 0, SIG_TERM = 15, SIG_CHLD = 16, SIG_TSTP = 19, SIG_WINCH = 27 };

int main(void) {
    CHECK_ERRNO(__wasi_proc_raise(SIG_NONE), 0);
    CHECK_ERRNO(__wasi_proc_raise(SIG_CHLD), 0);
    CHECK_ERRNO(__wasi_proc_raise(SIG_WINCH), 0);
    CHECK_ERRNO(__wasi_proc_raise(SIG_TSTP), __WASI_ERRNO_NOTSUP);
    CHECK_ERRNO(__wasi_proc_raise(200), __WASI_ERRNO_INVAL);
    printf("raising term\n");
    fflush(stdout);
    __wasi_proc_raise(SIG_TERM);
    printf("still running\n");
    return 0;
}
