/* Arguments and environment reach the guest intact. Run with
 *   --env LUCET_TEST_VAR='hello world' guest -- one 'two words' --three */
#include <stdlib.h>
#include <string.h>
#include "guest_check.h"

int main(int argc, char **argv) {
    CHECK(argc == 4);
    CHECK(strstr(argv[0], "args_env") != NULL);  /* argv[0] is the module path */
    CHECK(strcmp(argv[1], "one") == 0);
    CHECK(strcmp(argv[2], "two words") == 0);
    CHECK(strcmp(argv[3], "--three") == 0);
    const char *v = getenv("LUCET_TEST_VAR");
    CHECK(v != NULL && strcmp(v, "hello world") == 0);
    CHECK(getenv("PATH") != NULL);  /* the host environment is inherited */
    CHECK(getenv("LUCET_TEST_UNSET_VARIABLE") == NULL);
    for (int i = 1; i < argc; i++) printf("%s\n", argv[i]);
    printf("LUCET_TEST_VAR=%s\n", v);
    return 0;
}
