/* random_get: fills the buffer, differently each time. */
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>
#include "guest_check.h"

int main(void) {
    unsigned char a[64], b[64], zero[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    memset(zero, 0, sizeof zero);
    CHECK(getentropy(a, sizeof a) == 0);
    CHECK(getentropy(b, sizeof b) == 0);
    CHECK(memcmp(a, zero, sizeof a) != 0);
    CHECK(memcmp(a, b, sizeof a) != 0);
    static unsigned char big[200000];
    CHECK_ERRNO(__wasi_random_get(big, sizeof big), 0);
    int distinct = 0, seen[256] = {0};
    for (size_t i = 0; i < sizeof big; i++)
        if (!seen[big[i]]++) distinct++;
    CHECK(distinct == 256);
    CHECK_ERRNO(__wasi_random_get(a, 0), 0);
    printf("random ok\n");
    return 0;
}
