/* hello.c: the smallest WASI program: a greeting and the arguments it got.
 *   lucet-wasi hello.so -- one two   prints "Hello, world!" then each argument. */
#include <stdio.h>

int main(int argc, char **argv) {
    printf("Hello, world!\n");
    for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
    return 0;
}
