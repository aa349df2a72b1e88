// wasi_ctx.h: the per-instance WASI state: arguments, environment and the
// descriptor table (stdio inherited as 0-2, preopened directories from 3 on).
// One WasiCtx is the wasi_ctx of one Instance (InstanceOptions::wasi_ctx); it is not thread-safe (guests
// are single-threaded, as in Lucet).
#pragma once

#include <dirent.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/result.h"
#include "wasi/wasi_types.h"

namespace lucet::wasi {

struct FdEntry {
    int host_fd = -1;
    bool owned = true;  // close host_fd when the entry goes; stdio is borrowed
    Filetype type = Filetype::UNKNOWN;
    uint64_t rights_base = 0;
    uint64_t rights_inheriting = 0;
    // Preopened directory: the name the guest sees (fd_prestat_dir_name).
    bool preopen = false;
    std::string preopen_name;
    // The guest's $fdflags.nonblock, emulated: the host description stays as
    // it is (an inherited pipe's is shared with the host and other
    // processes); reads and writes look with a zero-timeout poll first and
    // give AGAIN when not ready (wait_ready).
    bool nonblock = false;
    // The guest's $fdflags.append set by fd_fdstat_set_flags on a
    // description shared with the host (shared_description), emulated: its
    // writes append (pwritev2 RWF_APPEND) and the host's description never
    // becomes O_APPEND (an inherited stdout would append for the host too).
    bool append = false;
    bool shared_description = false;  // stdio given by the host (inherited or duplicated)

    FdEntry() = default;
    FdEntry(const FdEntry &) = delete;
    FdEntry &operator=(const FdEntry &) = delete;
    ~FdEntry();

    bool has(uint64_t r) const { return (rights_base & r) == r; }
};

class WasiCtx {
public:
    WasiCtx() = default;
    WasiCtx(const WasiCtx &) = delete;
    WasiCtx &operator=(const WasiCtx &) = delete;

    // argv[0] is conventionally the program name.
    void set_args(std::vector<std::string> args) { args_ = std::move(args); }
    // Appends (the C API's one-call-per-argument configuration: linear, not a copy per call).
    template <typename It>
    void add_args(It first, It last) { args_.insert(args_.end(), first, last); }
    void add_env(std::string var) { env_.push_back(std::move(var)); }
    // "NAME=VALUE" strings, passed to environ_get as is.
    void set_env(std::vector<std::string> env) { env_ = std::move(env); }
    const std::vector<std::string> &args() const { return args_; }
    const std::vector<std::string> &env() const { return env_; }

    // Makes host fds 0, 1, 2 the guest's 0, 1, 2 (borrowed, never closed by
    // the guest's fd_close). Call before preopen_dir so preopens start at 3.
    Status inherit_stdio();
    // Makes the guest's fd `which` (0, 1 or 2) a duplicate of host_fd (the
    // context owns the duplicate; the caller keeps host_fd), replacing what
    // was there. Rights follow the host fd's type and access mode (a
    // read-only fd gets no write rights and the other way round).
    Status set_stdio_fd(int which, int host_fd);
    // Same with a file: stdin (0) opens `path` for reading; stdout and
    // stderr (1, 2) create or truncate it for writing (mode 0666 & ~umask).
    Status set_stdio_file(int which, const std::string &path);
    // Opens `host_path` as a directory and gives it to the guest as the
    // preopen `guest_path`, on the lowest free fd (>= 3 after stdio).
    // read_only: the preopen and everything opened below it lack
    // rights::WRITE_RIGHTS (the guest gets notcapable for a mutation, perm
    // for a path_open asking to write).
    Status preopen_dir(const std::string &guest_path, const std::string &host_path, bool read_only = false);

    // nullptr when fd is not open.
    FdEntry *get(uint32_t fd);
    // Takes ownership; returns the new guest fd (lowest free number), or
    // Errno::NFILE when max_fds() fds are open already.
    Errno insert(std::unique_ptr<FdEntry> e, uint32_t &fd_out);
    // True when insert would fail: callers check before opening host fds.
    bool full() const { return open_ >= max_fds_; }
    Errno close(uint32_t fd);
    // fd_renumber: `to` (which must be open) is closed and `from` takes its number.
    Errno renumber(uint32_t from, uint32_t to);

    // The most guest fds open at once (stdio and preopens count), so that
    // one instance cannot take every fd of the process: the default stays
    // well under the usual RLIMIT_NOFILE. Lowering it below the number open
    // only stops new ones. kMaxFdsLimit bounds what may be asked for.
    void set_max_fds(uint32_t n) { max_fds_ = n; }
    uint32_t max_fds() const { return max_fds_; }
    static constexpr uint32_t kDefaultMaxFds = 1024;
    static constexpr uint32_t kMaxFdsLimit = 1u << 20;

private:
    void put_stdio(int which, std::unique_ptr<FdEntry> e);
    std::vector<std::string> args_;
    std::vector<std::string> env_;
    std::vector<std::unique_ptr<FdEntry>> fds_;
    uint32_t open_ = 0;  // entries in fds_
    uint32_t max_fds_ = kDefaultMaxFds;
};

// Filetype of a host st_mode (FIFOs are UNKNOWN, as in wasmtime).
Filetype filetype_from_mode(unsigned mode);

}  // namespace lucet::wasi
