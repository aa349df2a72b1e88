/* The process exits (static destructors run) while another thread still
 * makes and releases host thunks: the library's bookkeeping must outlive
 * the destructors (host_thunks.cpp's slot book and thunk table were
 * ordinary statics: ASan heap-use-after-free in the worker). Each of 10
 * children starts such a worker and exits; an exit handler registered
 * before the library's statics existed runs after their destructors and
 * keeps the process alive 100 ms meanwhile. Meaningful under ASan
 * (exit_race_asan: a report makes the child exit non-zero); the plain
 * variant checks the children exit cleanly. */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lucet_wasi.h"

static volatile int g_made;

static uint32_t cb(struct lucet_vmctx *c, void *d, const struct lucet_val *a, struct lucet_val *r) {
    (void)c, (void)d, (void)a, (void)r;
    return 0;
}

static void *worker(void *arg) {
    enum lucet_val_type p[1] = {lucet_val_type_i32};
    (void)arg;
    for (;;) {
        struct lucet_host_thunk *t;
        lucet_host_func_ptr f;
        if (lucet_host_thunk_new(p, 1, p, 1, cb, NULL, &t, &f) == lucet_error_ok) {
            g_made = 1;
            lucet_host_thunk_release(t);
        }
    }
    return NULL;
}

static void linger(void) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

static int child(void) {
    pthread_t t;
    struct timespec ts = {0, 1000 * 1000};
    if (atexit(linger)) return 2; /* before the library's statics: runs after their destructors */
    if (pthread_create(&t, NULL, worker, NULL)) return 2;
    while (!g_made) nanosleep(&ts, NULL);
    ts.tv_nsec = 20 * 1000 * 1000;
    nanosleep(&ts, NULL);
    exit(0);
}

int main(void) {
    int k, bad = 0;
    for (k = 0; k < 10; k++) {
        int status = 0;
        pid_t pid = fork();
        if (pid < 0) return perror("fork"), 1;
        if (pid == 0) _exit(child());
        if (waitpid(pid, &status, 0) != pid) return perror("waitpid"), 1;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "child %d: %s %d\n", k, WIFEXITED(status) ? "exit status" : "signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
            bad = 1;
        }
    }
    return bad;
}
