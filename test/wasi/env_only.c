/* Prints the guest's whole environment, one NAME=VALUE a line, in order:
 * with --no-inherit-env it must hold only what --env gave. */
#include <stdio.h>

extern char **environ;

int main(void) {
    for (char **e = environ; e && *e; e++) printf("%s\n", *e);
    return 0;
}
