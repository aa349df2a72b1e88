// hostcalls_poll.cpp: poll_oneoff: clock timeouts (what sleep() becomes in
// wasi-libc) and fd readiness, with ppoll(2).
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "wasi/hostcalls.h"
#include "wasi/uv_fs.h"
#include "wasi/wasi_errno.h"

namespace lucet::wasi {

namespace {

// $subscription: userdata u64 @0, tag u8 @8, union @16. preview1's clock is
// id u32 @16, timeout @24, precision @32, flags u16 @40 (48 bytes); preview0's
// starts with a u64 identifier: id @24, timeout @32, precision @40, flags @48
// (56 bytes). fd_readwrite is fd u32 @16 in both; $event is the same.
using layout::EVENT_SIZE;
constexpr uint8_t EVENTTYPE_CLOCK = 0, EVENTTYPE_FD_READ = 1, EVENTTYPE_FD_WRITE = 2;
constexpr uint16_t SUBCLOCK_ABSTIME = 1;
constexpr uint16_t EVENTRW_HANGUP = 1;
// A guest could ask for ~89 million subscriptions in 4 GiB; the host state per
// subscription is bounded by refusing absurd counts.
constexpr uint32_t kMaxSubscriptions = 1u << 16;

uint64_t now_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

struct Event {
    uint64_t userdata = 0;
    Errno error = Errno::SUCCESS;
    uint8_t type = 0;
    uint64_t nbytes = 0;
    uint16_t flags = 0;
};

struct ClockSub {
    uint64_t userdata;
    uint64_t deadline;  // on CLOCK_MONOTONIC
};

struct FdSub {
    uint64_t userdata;
    uint8_t type;
    int host_fd;
    bool regular;
};

// Bytes readable now: the rest of a regular file, or what FIONREAD reports.
uint64_t readable_bytes(const FdSub &s) {
    if (s.regular) {
        uv_stat_t st;
        off_t pos = lseek(s.host_fd, 0, SEEK_CUR);
        if (uvfs::fstat(s.host_fd, st) == 0 && pos >= 0 && st.st_size > uint64_t(pos)) return st.st_size - uint64_t(pos);
        return 0;
    }
    int n = 0;
    if (ioctl(s.host_fd, FIONREAD, &n) == 0 && n > 0) return uint64_t(n);
    return 0;
}

}  // namespace

Errno poll_oneoff(Call &c, uint32_t in, uint32_t out, uint32_t nsubs, uint32_t nevents_out) {
    const layout::Subscription &L = c.abi == Abi::Preview0 ? layout::SUBSCRIPTION0 : layout::SUBSCRIPTION1;
    const uint32_t SUB_SIZE = L.size;
    if (nsubs == 0) return Errno::INVAL;
    if (nsubs > kMaxSubscriptions) return Errno::INVAL;
    if (!c.mem.in_bounds(in, uint64_t(nsubs) * SUB_SIZE) || !c.mem.in_bounds(out, uint64_t(nsubs) * EVENT_SIZE) ||
        !c.mem.in_bounds(nevents_out, 4))
        return Errno::FAULT;

    std::vector<Event> events;
    std::vector<ClockSub> clocks;
    std::vector<FdSub> fds;
    std::vector<struct pollfd> pfds;
    uint64_t start = now_ns(CLOCK_MONOTONIC);
    for (uint32_t i = 0; i < nsubs; i++) {
        uint64_t at = in + uint64_t(i) * SUB_SIZE;
        // (bounds were checked for the whole array above)
        uint64_t userdata = 0;
        uint8_t tag = 0;
        c.mem.read(at + layout::SUB_USERDATA, userdata);
        c.mem.read(at + layout::SUB_TAG, tag);
        if (tag == EVENTTYPE_CLOCK) {
            uint32_t id = 0;
            uint64_t timeout = 0;
            uint16_t flags = 0;
            c.mem.read(at + L.clock_id, id);
            c.mem.read(at + L.timeout, timeout);
            c.mem.read(at + L.flags, flags);
            if (flags & ~SUBCLOCK_ABSTIME) {
                events.push_back({userdata, Errno::INVAL, EVENTTYPE_CLOCK, 0, 0});
                continue;
            }
            clockid_t hc;
            switch (static_cast<ClockId>(id)) {
            case ClockId::REALTIME: hc = CLOCK_REALTIME; break;
            case ClockId::MONOTONIC: hc = CLOCK_MONOTONIC; break;
            case ClockId::PROCESS_CPUTIME: hc = CLOCK_PROCESS_CPUTIME_ID; break;
            case ClockId::THREAD_CPUTIME: hc = CLOCK_THREAD_CPUTIME_ID; break;
            default:
                events.push_back({userdata, Errno::INVAL, EVENTTYPE_CLOCK, 0, 0});
                continue;
            }
            uint64_t rem = timeout;
            if (flags & SUBCLOCK_ABSTIME) {
                uint64_t now = now_ns(hc);
                rem = timeout > now ? timeout - now : 0;
            }
            uint64_t deadline = rem > UINT64_MAX - start ? UINT64_MAX : start + rem;
            clocks.push_back({userdata, deadline});
        } else if (tag == EVENTTYPE_FD_READ || tag == EVENTTYPE_FD_WRITE) {
            uint32_t fd = 0;
            c.mem.read(at + layout::SUB_FD, fd);
            FdEntry *e;
            if (Errno r = fd_lookup(c, fd, rights::POLL_FD_READWRITE, e); r != Errno::SUCCESS) {
                events.push_back({userdata, r, tag, 0, 0});
                continue;
            }
            fds.push_back({userdata, tag, e->host_fd, e->type == Filetype::REGULAR_FILE});
            pfds.push_back({e->host_fd, short(tag == EVENTTYPE_FD_READ ? POLLIN : POLLOUT), 0});
        } else {
            return Errno::INVAL;
        }
    }

    // Wait until an fd is ready or the earliest clock expires; not at all when
    // there is already something to report.
    uint64_t earliest = UINT64_MAX;
    for (const auto &cs : clocks) earliest = std::min(earliest, cs.deadline);
    for (;;) {
        struct timespec ts, *tsp = nullptr;
        if (!events.empty()) {
            ts = {0, 0};
            tsp = &ts;
        } else if (earliest != UINT64_MAX) {
            uint64_t now = now_ns(CLOCK_MONOTONIC);
            uint64_t rem = earliest > now ? earliest - now : 0;
            ts = {static_cast<time_t>(rem / 1000000000ull), static_cast<long>(rem % 1000000000ull)};
            tsp = &ts;
        }
        int n = ppoll(pfds.empty() ? nullptr : pfds.data(), pfds.size(), tsp, nullptr);
        if (n < 0 && errno == EINTR) {
            if (c.cancel_requested()) return Errno::INTR;
            continue;
        }
        if (n < 0) return errno_from_host(errno);
        // Never report zero events for a wait that had a deadline: should
        // ppoll come back before it (timer slack is only ever late, but a
        // clock step is possible), wait for the rest.
        if (n == 0 && events.empty() && earliest != UINT64_MAX && now_ns(CLOCK_MONOTONIC) < earliest) continue;
        break;
    }

    for (size_t i = 0; i < pfds.size(); i++) {
        short re = pfds[i].revents;
        if (!re) continue;
        Event ev{fds[i].userdata, Errno::SUCCESS, fds[i].type, 0, 0};
        if (re & POLLNVAL)
            ev.error = Errno::BADF;
        else if ((re & POLLERR) && !(re & (POLLIN | POLLOUT)))
            ev.error = Errno::IO;
        if (re & POLLHUP) ev.flags |= EVENTRW_HANGUP;
        if (ev.error == Errno::SUCCESS && fds[i].type == EVENTTYPE_FD_READ) ev.nbytes = readable_bytes(fds[i]);
        events.push_back(ev);
    }
    uint64_t now = now_ns(CLOCK_MONOTONIC);
    for (const auto &cs : clocks)
        if (cs.deadline <= now) events.push_back({cs.userdata, Errno::SUCCESS, EVENTTYPE_CLOCK, 0, 0});

    uint32_t k = 0;
    for (const auto &ev : events) {
        uint8_t buf[EVENT_SIZE] = {};
        uint16_t err = static_cast<uint16_t>(ev.error);
        std::memcpy(buf + layout::EVENT_USERDATA, &ev.userdata, 8);
        std::memcpy(buf + layout::EVENT_ERROR, &err, 2);
        buf[layout::EVENT_TYPE] = ev.type;
        std::memcpy(buf + layout::EVENT_NBYTES, &ev.nbytes, 8);
        std::memcpy(buf + layout::EVENT_FLAGS, &ev.flags, 2);
        c.mem.write_bytes(out + uint64_t(k) * EVENT_SIZE, buf, sizeof buf);
        k++;
    }
    c.mem.write<uint32_t>(nevents_out, k);
    return Errno::SUCCESS;
}

}  // namespace lucet::wasi
