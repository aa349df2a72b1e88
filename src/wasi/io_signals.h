// io_signals.h: a guest's I/O never kills its host with a signal. A write
// to a pipe whose reader is gone raises SIGPIPE (also when part of it was
// written: Linux sends it and returns the partial count), and growing a file
// past RLIMIT_FSIZE raises SIGXFSZ (write, pwrite, ftruncate, fallocate);
// both default to killing the process. For the guest they are EPIPE and
// EFBIG. The signals are blocked in this thread around the call and taken
// off the pending set when the call raised them (one pending before is left
// alone); the process's dispositions are never touched, so an embedder's own
// handling stays.
#pragma once

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <cerrno>
#include <initializer_list>

namespace lucet::wasi {

template <typename Op>
auto hold_io_signals(Op op) -> decltype(op()) {
    sigset_t set, old, before, after;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigaddset(&set, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    sigpending(&before);
    auto r = op();
    const int saved = errno;
    sigpending(&after);
    for (int sig : {SIGPIPE, SIGXFSZ}) {
        if (!sigismember(&after, sig) || sigismember(&before, sig)) continue;
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, sig);
        static constexpr struct timespec kNow = {0, 0};
        while (sigtimedwait(&one, nullptr, &kNow) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = saved;
    return r;
}

// For a call that may grow a regular file: the signals are held only while
// the process has a file size limit (one getrlimit, instead of four calls
// on the common path).
template <typename Op>
auto growing_file(Op op) -> decltype(op()) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY) return op();
    return hold_io_signals(op);
}

}  // namespace lucet::wasi
