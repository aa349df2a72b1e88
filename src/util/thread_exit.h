// thread_exit.h: per-thread cleanups that run when the thread exits, also
// for a thread whose first use of this library comes late in its exit.
//
// A C++ thread_local's destructor does not do that: glibc runs thread_local
// destructors first and pthread key destructors after them, so an embedder's
// key destructor that calls into the library either finds the library's
// thread_locals already destroyed (a use after free of the error message),
// or makes new ones whose destructors never run (a leaked alternate signal
// stack, result and hazard record per thread). A pthread key's destructor
// does: glibc runs key destructors in rounds (PTHREAD_DESTRUCTOR_ITERATIONS,
// 4), and a value set during a round has its destructor run in the next.
//
// The values live in trivially destructible thread_locals (valid until the
// thread is gone); a ThreadExitKey only arranges their cleanup. The shared
// library is linked -z nodelete: a dlclose cannot unmap the code these
// destructors run.
#pragma once

#include <pthread.h>

#include <atomic>

namespace lucet {

class ThreadExitKey {
public:
    using Cleanup = void (*)(void *);
    explicit constexpr ThreadExitKey(Cleanup cleanup) noexcept : cleanup_(cleanup) {}
    ThreadExitKey(const ThreadExitKey &) = delete;
    ThreadExitKey &operator=(const ThreadExitKey &) = delete;

    // Arranges cleanup(value) when the calling thread exits (value not
    // null; one value per thread and key: a second arm replaces the first).
    // false: no key could be made (the process ran out of pthread keys), and
    // the caller keeps the value to itself or frees it.
    bool arm(void *value) noexcept;

private:
    bool made() noexcept;
    Cleanup cleanup_;
    std::atomic<int> state_{0};  // 0: no key yet, 1: being made, 2: made, 3: failed
    pthread_key_t key_{};
};

}  // namespace lucet
