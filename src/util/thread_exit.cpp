// thread_exit.cpp: ThreadExitKey (thread_exit.h).
#include "util/thread_exit.h"

#include <sched.h>

namespace lucet {

bool ThreadExitKey::made() noexcept {
    int s = state_.load(std::memory_order_acquire);
    if (__builtin_expect(s == 2, 1)) return true;
    if (s == 0 && state_.compare_exchange_strong(s, 1, std::memory_order_acq_rel)) {
        // Never deleted: the library stays loaded (-z nodelete) and threads
        // may exit with values set until the process ends.
        s = pthread_key_create(&key_, cleanup_) == 0 ? 2 : 3;
        state_.store(s, std::memory_order_release);
        return s == 2;
    }
    while ((s = state_.load(std::memory_order_acquire)) == 1) sched_yield();
    return s == 2;
}

bool ThreadExitKey::arm(void *value) noexcept { return made() && pthread_setspecific(key_, value) == 0; }

}  // namespace lucet
