/* A guest trap (unreachable): lucet-wasi reports it and exits 134. */
#include <stdio.h>

int main(void) {
    printf("before trap\n");
    fflush(stdout);
    __builtin_trap();
}
