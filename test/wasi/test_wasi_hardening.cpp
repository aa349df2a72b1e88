// Unit tests of the WASI hostcalls against what a hostile guest does to its
// host (issue 9): huge and boundary path lengths, fds per instance, SIGPIPE
// from a write to a closed pipe, non-blocking mode on a shared description,
// FIFO opens that must stay cancellable, directories opened for writing.
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <chrono>
#include <fstream>
#include <thread>

#include "wasi_core_test_util.h"

namespace {

// Host fds open in this process.
int open_host_fds() {
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    REQUIRE(d);
    while (struct dirent *de = readdir(d))
        if (de->d_name[0] != '.') n++;
    closedir(d);
    return n - 1;  // opendir's own
}

std::string repeat(const std::string &unit, size_t k, const std::string &tail = "") {
    std::string s;
    for (size_t i = 0; i < k; i++) s += unit;
    return s + tail;
}

}  // namespace

TEST_CASE("path length is bounded before any work; resolution within it is exact", "[wasi][hardening]") {
    TempDir t;
    REQUIRE(mkdir((t.path + "/a").c_str(), 0755) == 0);
    std::ofstream(t.path + "/f") << "x";
    // 64 MiB of guest memory holding a 64 MiB path.
    std::vector<uint8_t> big(64u << 20, '/');
    for (size_t i = 0; i < big.size(); i += 2) big[i] = '.';
    WasiCtx ctx;
    REQUIRE(ctx.preopen_dir(".", t.path).ok());
    Call c{ctx, GuestMem(big.data(), big.size())};
    const uint32_t len = static_cast<uint32_t>(big.size() - 4096);  // the stat buffer goes at the end
    const uint32_t out = len;
    auto stat_of = [&](uint32_t n) { return path_filestat_get(c, 3, 0, 0, n, out); };
    CHECK(stat_of(len) == Errno::NAMETOOLONG);
    CHECK(stat_of(4096) == Errno::NAMETOOLONG);
    CHECK(stat_of(4095) == Errno::SUCCESS);  // "./" x 2047 + "."
    CHECK(big[out + 16] == uint8_t(Filetype::DIRECTORY));
    // Every kind of path call refuses it, both ends of two-path calls too.
    std::memcpy(big.data() + 8192, "f", 1);
    CHECK(path_open(c, 3, 0, 0, 4096, 0, ~0ull, ~0ull, 0, out) == Errno::NAMETOOLONG);
    CHECK(path_create_directory(c, 3, 0, 4096) == Errno::NAMETOOLONG);
    CHECK(path_rename(c, 3, 8192, 1, 3, 0, 4096) == Errno::NAMETOOLONG);
    CHECK(path_symlink(c, 0, 4096, 3, 8192, 1) == Errno::NAMETOOLONG);  // the target
    CHECK(path_readlink(c, 3, 0, 4096, out, 16, out + 16) == Errno::NAMETOOLONG);

    // resolve_path itself: many components within the limit.
    int base = ctx.get(3)->host_fd;
    ResolvedPath rp;
    std::string p = repeat("a/../", 819);
    REQUIRE(p.size() == 4095);
    CHECK(resolve_path(base, p, FinalLink::NoFollow, rp) == Errno::SUCCESS);
    CHECK(rp.name == ".");
    ResolvedPath rp2;
    CHECK(resolve_path(base, repeat("a/../", 818, "a/f"), FinalLink::NoFollow, rp2) == Errno::SUCCESS);
    CHECK(rp2.name == "f");
    ResolvedPath rp3;
    CHECK(resolve_path(base, p + "f", FinalLink::NoFollow, rp3) == Errno::NAMETOOLONG);
    // A symlink target counts on its own (each at most 4095 bytes).
    REQUIRE(symlink(repeat("a/../", 818, "f").c_str(), (t.path + "/l").c_str()) == 0);
    ResolvedPath rp4;
    CHECK(resolve_path(base, "a/../l", FinalLink::Follow, rp4) == Errno::SUCCESS);
    CHECK(rp4.name == "f");
}

TEST_CASE("fds per instance are limited: nfile, and the host's fds are not taken", "[wasi][hardening]") {
    TempDir t;
    std::ofstream(t.path + "/f") << "x";
    Guest g;
    CHECK(g.ctx.max_fds() == WasiCtx::kDefaultMaxFds);
    g.ctx.set_max_fds(8);
    REQUIRE(g.ctx.inherit_stdio().ok());
    REQUIRE(g.ctx.preopen_dir(".", t.path).ok());
    int before = open_host_fds();
    std::vector<uint32_t> fds;
    uint32_t fd;
    while (open_path(g, 3, "f", 0, fd) == Errno::SUCCESS) fds.push_back(fd);
    CHECK(fds.size() == 4);  // 3 stdio + 1 preopen + 4 = 8
    CHECK(open_path(g, 3, "f", 0, fd) == Errno::NFILE);
    CHECK(open_host_fds() == before + 4);  // no host fd left behind by the refusals
    Call c = g.call();
    REQUIRE(fd_close(c, fds[1]) == Errno::SUCCESS);
    CHECK(open_path(g, 3, "f", 0, fd) == Errno::SUCCESS);
    CHECK(fd == fds[1]);
    CHECK(open_path(g, 3, "f", 0, fd) == Errno::NFILE);
    // fd_renumber closes one: room for one more.
    REQUIRE(fd_renumber(c, fds[0], fds[2]) == Errno::SUCCESS);
    CHECK(open_path(g, 3, "f", 0, fd) == Errno::SUCCESS);
    CHECK(open_path(g, 3, "f", 0, fd) == Errno::NFILE);
    // A preopen beyond the limit is an error naming it.
    auto st = g.ctx.preopen_dir("x", t.path);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().to_string().find("fd limit (8)") != std::string::npos);
}

TEST_CASE("fd_write to a pipe whose reader is gone: PIPE, never SIGPIPE", "[wasi][hardening]") {
    struct sigaction dfl = {}, old = {};
    dfl.sa_handler = SIG_DFL;
    REQUIRE(sigaction(SIGPIPE, &dfl, &old) == 0);  // a SIGPIPE would end this process
    int p[2];
    REQUIRE(pipe(p) == 0);
    close(p[0]);
    Guest g;
    uint32_t fd = add_fd(g, p[1], Filetype::UNKNOWN, rights::FD_WRITE);
    uint32_t n;
    CHECK(write_str(g, fd, "hello", n) == Errno::PIPE);
    sigset_t pending, mask;
    sigpending(&pending);
    CHECK_FALSE(sigismember(&pending, SIGPIPE));
    pthread_sigmask(SIG_BLOCK, nullptr, &mask);
    CHECK_FALSE(sigismember(&mask, SIGPIPE));
    // A socket whose peer is gone, through fd_write: the same.
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    close(sv[1]);
    uint32_t sfd = add_fd(g, sv[0], Filetype::SOCKET_STREAM, rights::FD_WRITE);
    CHECK(write_str(g, sfd, "hello", n) == Errno::PIPE);
    sigaction(SIGPIPE, &old, nullptr);
}

TEST_CASE("fd_write cut short by the reader going away: a partial count, never SIGPIPE", "[wasi][hardening]") {
    // Linux sends SIGPIPE also when part of the write went through, and
    // returns that part (helper repro /work/h7/repro/06: `lucet-wasi m |
    // head -c 10` died of SIGPIPE).
    struct sigaction dfl = {}, old = {};
    dfl.sa_handler = SIG_DFL;
    REQUIRE(sigaction(SIGPIPE, &dfl, &old) == 0);  // a SIGPIPE would end this process
    int p[2];
    REQUIRE(pipe(p) == 0);
    REQUIRE(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096);
    std::thread reader([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the write has filled the pipe and waits
        char b[10];
        CHECK(read(p[0], b, sizeof b) == sizeof b);
        close(p[0]);
    });
    Guest g;
    uint32_t fd = add_fd(g, p[1], Filetype::UNKNOWN, rights::FD_WRITE);
    uint32_t n = 0;
    Errno e = write_str(g, fd, std::string(60000, 'x'), n);
    reader.join();
    CHECK(e == Errno::SUCCESS);
    CHECK(n > 0);
    CHECK(n < 60000);
    sigset_t pending, mask;
    sigpending(&pending);
    CHECK_FALSE(sigismember(&pending, SIGPIPE));
    pthread_sigmask(SIG_BLOCK, nullptr, &mask);
    CHECK_FALSE(sigismember(&mask, SIGPIPE));
    CHECK(write_str(g, fd, "more", n) == Errno::PIPE);
    sigaction(SIGPIPE, &old, nullptr);
}

TEST_CASE("growing a file past RLIMIT_FSIZE is FBIG for the guest, never SIGXFSZ", "[wasi][hardening]") {
    // Under `ulimit -f` a guest's write, pwrite, truncate or allocate past
    // the limit killed the host (helper repro /work/h7/repro/02).
    TempDir t;
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_DFL);
        struct rlimit rl = {8192, 8192};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(10);
        int host = open((t.path + "/f").c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (host < 0) _exit(11);
        Guest g;
        uint32_t fd = add_fd(g, host, Filetype::REGULAR_FILE, ~0ull);
        uint32_t n = 0;
        Errno w = write_str(g, fd, std::string(12000, 'x'), n);
        if (!(w == Errno::FBIG || (w == Errno::SUCCESS && n == 8192))) _exit(12);
        if (write_str(g, fd, "y", n) != Errno::FBIG) _exit(13);
        Call c = g.call();
        if (fd_filestat_set_size(c, fd, 1 << 20) != Errno::FBIG) _exit(14);
        if (fd_allocate(c, fd, 0, 1 << 20) != Errno::FBIG) _exit(15);
        g.put32(IOV, BUF);
        g.put32(IOV + 4, 100);
        if (fd_pwrite(c, fd, IOV, 1, 1 << 20, OUT) != Errno::FBIG) _exit(16);
        sigset_t pending;
        sigpending(&pending);
        _exit(sigismember(&pending, SIGXFSZ) ? 17 : 0);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    INFO("child status " << status << (WIFSIGNALED(status) ? " (killed by a signal)" : ""));
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("inherited stdio has only the rights its host description allows", "[wasi][hardening]") {
    // `lucet-wasi m < input` let the guest reset input's times, and
    // `>> app.log` let it truncate the log (helper repro /work/h7/repro/01).
    TempDir t;
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::ofstream(t.path + "/in") << "input";
        std::ofstream(t.path + "/log") << "earlier lines\n";
        int in = open((t.path + "/in").c_str(), O_RDONLY);
        int log = open((t.path + "/log").c_str(), O_WRONLY | O_APPEND);
        if (in < 0 || log < 0 || dup2(in, 0) != 0 || dup2(log, 1) != 1) _exit(10);
        WasiCtx ctx;
        if (!ctx.inherit_stdio().ok()) _exit(11);
        const FdEntry *e0 = ctx.get(0), *e1 = ctx.get(1);
        if (!e0 || !e1) _exit(12);
        if (e0->has(rights::FD_FILESTAT_SET_TIMES) || e0->has(rights::FD_WRITE) ||
            e0->has(rights::FD_FILESTAT_SET_SIZE))
            _exit(13);
        if (!e0->has(rights::FD_READ)) _exit(14);
        if (e1->has(rights::FD_FILESTAT_SET_SIZE) || e1->has(rights::FD_READ)) _exit(15);
        if (!e1->has(rights::FD_WRITE)) _exit(16);
        _exit(0);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a terminal opened through a preopen never becomes the host's controlling terminal", "[wasi][hardening]") {
    // A session leader without one (a daemon, `setsid lucet-wasi`) got the
    // terminal, and died of SIGHUP at its hangup (helper repro
    // /work/h7/repro/04).
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (setsid() < 0) _exit(10);
        int m = posix_openpt(O_RDWR | O_NOCTTY);
        if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) _exit(11);
        const char *name = ptsname(m);
        if (!name || std::strncmp(name, "/dev/pts/", 9) != 0) _exit(12);
        Guest g;
        if (!g.ctx.preopen_dir("pts", "/dev/pts").ok()) _exit(13);
        uint32_t fd;
        if (open_path(g, 3, name + 9, 0, fd, 0, rights::FD_READ | rights::FD_WRITE) != Errno::SUCCESS) _exit(14);
        int tty = open("/dev/tty", O_RDWR | O_NOCTTY);
        _exit(tty < 0 ? 0 : 15);  // ENXIO: no controlling terminal
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("nonblock is the guest fd's own: the shared description is never changed", "[wasi][hardening]") {
    int p[2];
    REQUIRE(pipe(p) == 0);
    Guest g;
    uint64_t r = rights::FD_READ | rights::FD_FDSTAT_SET_FLAGS;
    uint32_t fd = add_fd(g, p[0], Filetype::UNKNOWN, r);
    Call c = g.call();
    int host_before = fcntl(p[0], F_GETFL);
    REQUIRE(fd_fdstat_set_flags(c, fd, fdflags::NONBLOCK) == Errno::SUCCESS);
    CHECK(fcntl(p[0], F_GETFL) == host_before);
    REQUIRE(fd_fdstat_get(c, fd, OUT) == Errno::SUCCESS);
    CHECK((g.u32(OUT) >> 16) & fdflags::NONBLOCK);
    std::string got;
    CHECK(read_str(g, fd, 8, got) == Errno::AGAIN);
    REQUIRE(write(p[1], "abc", 3) == 3);
    CHECK(read_str(g, fd, 8, got) == Errno::SUCCESS);
    CHECK(got == "abc");
    REQUIRE(fd_fdstat_set_flags(c, fd, 0) == Errno::SUCCESS);
    REQUIRE(fd_fdstat_get(c, fd, OUT) == Errno::SUCCESS);
    CHECK_FALSE((g.u32(OUT) >> 16) & fdflags::NONBLOCK);
    CHECK(fcntl(p[0], F_GETFL) == host_before);

    // A blocking guest fd over a description the host made non-blocking
    // still blocks (until data comes), never shows EAGAIN.
    REQUIRE(fcntl(p[0], F_SETFL, host_before | O_NONBLOCK) == 0);
    std::thread writer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        (void)!write(p[1], "late", 4);
    });
    CHECK(read_str(g, fd, 8, got) == Errno::SUCCESS);
    writer.join();
    CHECK(got == "late");

    // A non-blocking write to a full pipe: AGAIN, and a partial write (at most
    // PIPE_BUF) rather than blocking when there is some room.
    uint32_t wfd = add_fd(g, p[1], Filetype::UNKNOWN, rights::FD_WRITE | rights::FD_FDSTAT_SET_FLAGS);
    REQUIRE(fd_fdstat_set_flags(c, wfd, fdflags::NONBLOCK) == Errno::SUCCESS);
    std::string chunk(8192, 'x');
    uint32_t n = 0, total = 0;
    Errno e;
    while ((e = write_str(g, wfd, chunk, n)) == Errno::SUCCESS) {
        CHECK(n <= PIPE_BUF);
        total += n;
        REQUIRE(total < (16u << 20));
    }
    CHECK(e == Errno::AGAIN);
    CHECK((fcntl(p[1], F_GETFL) & O_NONBLOCK) == 0);
}

TEST_CASE("path_open of a FIFO: cancellable while it waits, completes when the peer comes", "[wasi][hardening]") {
    TempDir t;
    std::string fifo = t.path + "/fifo";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    Guest g;
    REQUIRE(g.ctx.preopen_dir(".", t.path).ok());
    // A pending kill (the runtime re-sends a SA_RESTART signal meanwhile:
    // SIGUSR1 here): each blocking open gives up with INTR. Should one not,
    // the kicker opens the other end after 10 s so that the test fails
    // instead of hanging.
    struct sigaction sa = {}, old = {};
    sa.sa_handler = [](int) {};
    sa.sa_flags = SA_RESTART;
    REQUIRE(sigaction(SIGUSR1, &sa, &old) == 0);
    pthread_t self = pthread_self();
    for (bool write_end : {false, true}) {
        Call c = g.call();
        c.cancelled = [](void *) { return true; };
        std::atomic<bool> done{false};
        std::thread rescue([&] {
            for (int i = 0; i < 1000 && !done; i++) {
                pthread_kill(self, SIGUSR1);
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            if (!done) {
                int fd = open(fifo.c_str(), (write_end ? O_RDONLY : O_WRONLY) | O_NONBLOCK);
                if (fd >= 0) close(fd);
            }
        });
        uint32_t len = g.put(PATH, "fifo");
        uint64_t rights = write_end ? rights::FD_WRITE : rights::FD_READ;
        Errno e = path_open(c, 3, 0, PATH, len, 0, rights, 0, 0, OUT);
        done = true;
        rescue.join();
        CHECK(e == Errno::INTR);
    }
    sigaction(SIGUSR1, &old, nullptr);
    // No kill: the writer's open completes once a reader comes (100 ms later),
    // and the new fd is blocking on the host.
    int reader = -1;
    std::thread late([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
    });
    uint32_t fd;
    CHECK(open_path(g, 3, "fifo", 0, fd, 0, rights::FD_WRITE) == Errno::SUCCESS);
    late.join();
    REQUIRE(reader >= 0);
    CHECK((fcntl(g.ctx.get(fd)->host_fd, F_GETFL) & O_NONBLOCK) == 0);
    uint32_t n;
    CHECK(write_str(g, fd, "hi", n) == Errno::SUCCESS);
    char b[4] = {};
    CHECK(read(reader, b, sizeof b) == 2);
    close(reader);
}

TEST_CASE("a directory opened with fd_write rights is ISDIR", "[wasi][hardening]") {
    TempDir t;
    REQUIRE(mkdir((t.path + "/sub").c_str(), 0755) == 0);
    Guest g;
    REQUIRE(g.ctx.preopen_dir(".", t.path).ok());
    uint32_t fd;
    const uint64_t RW = rights::FD_READ | rights::FD_WRITE;
    CHECK(open_path(g, 3, ".", oflags::DIRECTORY, fd, 0, RW) == Errno::ISDIR);
    CHECK(open_path(g, 3, "sub", oflags::DIRECTORY, fd, 0, rights::FD_WRITE) == Errno::ISDIR);
    CHECK(open_path(g, 3, "sub", 0, fd, 0, RW) == Errno::ISDIR);
    CHECK(open_path(g, 3, ".", oflags::DIRECTORY, fd, 0, rights::FD_READ) == Errno::SUCCESS);
    CHECK(open_path(g, 3, "sub", oflags::DIRECTORY, fd, 0, 0) == Errno::SUCCESS);
    // wasi-libc's opendir asks for every right but the write ones.
    uint64_t libc_ro = ~(rights::FD_DATASYNC | rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE);
    CHECK(open_path(g, 3, "sub", oflags::DIRECTORY, fd, 0, libc_ro) == Errno::SUCCESS);
}

TEST_CASE("a deep path holds a bounded number of host fds while it resolves", "[wasi][hardening]") {
    // 600 nested directories "d", then a file "f" at the bottom.
    TempDir t;
    int dfd = open(t.path.c_str(), O_RDONLY | O_DIRECTORY);
    REQUIRE(dfd >= 0);
    std::vector<ino_t> inode{0};
    for (int i = 0; i < 600; i++) {
        REQUIRE(mkdirat(dfd, "d", 0755) == 0);
        int next = openat(dfd, "d", O_RDONLY | O_DIRECTORY);
        REQUIRE(next >= 0);
        struct stat st;
        REQUIRE(fstat(next, &st) == 0);
        inode.push_back(st.st_ino);
        close(dfd);
        dfd = next;
    }
    close(openat(dfd, "f", O_CREAT | O_WRONLY, 0644));
    close(dfd);
    int base = open(t.path.c_str(), O_RDONLY | O_DIRECTORY);
    REQUIRE(base >= 0);
    // In a child whose RLIMIT_NOFILE leaves 100 fds free: an fd per level
    // would run out (MFILE).
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = open_host_fds() + 100;
        setrlimit(RLIMIT_NOFILE, &rl);
        auto level_of = [&](const ResolvedPath &rp) {
            struct stat st;
            if (fstat(rp.dirfd, &st) != 0) return -1;
            for (size_t i = 1; i < inode.size(); i++)
                if (inode[i] == st.st_ino) return int(i);
            return 0;
        };
        int bad = 0;
        ResolvedPath down;
        bad |= (resolve_path(base, repeat("d/", 600, "f"), FinalLink::NoFollow, down) != Errno::SUCCESS) << 0;
        bad |= (down.name != "f" || level_of(down) != 600) << 1;
        // Down 600, back up 300 (far beyond what stays open), down 5.
        ResolvedPath back;
        std::string p = repeat("d/", 600, repeat("../", 300, repeat("d/", 4, "d")));
        bad |= (resolve_path(base, p, FinalLink::NoFollow, back) != Errno::SUCCESS) << 2;
        bad |= (back.name != "d" || level_of(back) != 304) << 3;
        // All the way back up: the base itself.
        ResolvedPath top;
        bad |= (resolve_path(base, repeat("d/", 600, repeat("../", 600, "")), FinalLink::NoFollow, top) !=
                Errno::SUCCESS) << 4;
        bad |= (top.owned || top.dirfd != base || top.name != ".") << 5;
        _exit(bad);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);  // a bit per failed check
    close(base);
}
