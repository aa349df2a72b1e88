// cache_test_util.h: what the compile cache's tests share: a private
// temporary directory per test, tiny modules, fast compile options, and
// loading an entry as the launcher does.
#pragma once

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "abi/lucet_abi.h"
#include "compiler/compile_cache.h"
#include "runtime/runtime.h"

namespace lucet::cache_test {

namespace fs = std::filesystem;

struct TempDir {
    std::string path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "lucet-test-cache-XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// (module (func (export "<name>"))): modules that differ only in a name.
inline std::string module_exporting(const std::string &name) {
    std::string m("\0asm\1\0\0\0", 8);
    m += std::string("\x01\x04\x01\x60\x00\x00", 6);  // type: () -> ()
    m += std::string("\x03\x02\x01\x00", 4);          // func 0: type 0
    m += '\x07';                                       // export section
    m += static_cast<char>(name.size() + 4);
    m += '\x01';
    m += static_cast<char>(name.size());
    m += name;
    m += std::string("\x00\x00", 2);                  // func 0
    m += std::string("\x0a\x04\x01\x02\x00\x0b", 6);  // code: empty body
    return m;
}

inline CompileOptions fast_opts() {
    CompileOptions o;
    o.opt_level = 0;
    o.jobs = 1;
    return o;
}

// The cached .so of module_exporting(name) in `dir` (must succeed).
inline std::string cached(const std::string &dir, const std::string &name, uint64_t bound = 0) {
    auto so = compile_cached(name, module_exporting(name), fast_opts(), dir, bound);
    REQUIRE(so.ok());
    REQUIRE(so.value().file);
    return so.value().path;
}

inline std::string first_export_of(Result<std::shared_ptr<DlModule>> m) {
    REQUIRE(m.ok());
    REQUIRE(m.value()->desc().num_exports >= 1);
    const lucet_export_desc &e = m.value()->desc().exports[0];
    return std::string(e.name, e.name_len);
}
inline std::string first_export(const std::string &so) { return first_export_of(DlModule::load(so)); }
// As the launcher and the C API load a cache entry: from the file the cache verified.
inline std::string first_export(CachedModule &so) { return first_export_of(DlModule::load(std::move(so.file), so.path)); }

inline std::string key_of(const std::string &so) { return fs::path(so).stem().string(); }

inline size_t count_entries(const std::string &dir) {
    size_t n = 0;
    for (const auto &e : fs::directory_iterator(dir)) n += e.path().extension() == ".so";
    return n;
}

inline void set_mtime(const std::string &path, time_t t) {
    struct timespec ts[2] = {{t, 0}, {t, 0}};
    REQUIRE(utimensat(AT_FDCWD, path.c_str(), ts, 0) == 0);
}


// Sets (or, with nullptr, unsets) an environment variable for a scope,
// restoring what it was.
struct ScopedEnv {
    std::string name;
    std::optional<std::string> old;
    ScopedEnv(const char *n, const char *value) : name(n) {
        if (const char *v = std::getenv(n)) old = v;
        value ? setenv(n, value, 1) : unsetenv(n);
    }
    ~ScopedEnv() { old ? setenv(name.c_str(), old->c_str(), 1) : unsetenv(name.c_str()); }
};

// fn() run in a forked child (a fresh answer from functions that remember
// theirs per process, as a later run would get); its text comes back
// through a pipe. The child must exit 0.
template <typename Fn>
std::string in_child(Fn fn) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        std::string out = fn();
        ssize_t w = write(fds[1], out.data(), out.size());
        _exit(w == static_cast<ssize_t>(out.size()) ? 0 : 1);
    }
    close(fds[1]);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    return out;
}

}  // namespace lucet::cache_test
