/* proc_exit's code becomes lucet-wasi's exit status; output written before
 * exit is not lost. */
#include <wasi/api.h>
#include "guest_check.h"

int main(void) {
    printf("exiting with 42\n");
    fflush(stdout);
    __wasi_proc_exit(42);
    return 0; /* not reached */
}
