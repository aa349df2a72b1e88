// test_cache_races.cpp: the compile cache against a hostile or careless
// environment: its directory or TMPDIR swapped by another user, entries
// renamed or evicted under a load, a C compiler that hangs, SIMDe or CPATH
// changing under the key, huge inputs, FIFOs with cache names. Real
// compiles with the system cc, each test in its own temporary directory.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "cache_test_util.h"
#include "compiler/cache_key.h"
#include "compiler/cc_driver.h"
#include "compiler/compile_cache.h"

namespace fs = std::filesystem;
using namespace lucet;
using namespace lucet::cache_test;

TEST_CASE("cache: a hit is the file verified, whatever its path names by the time it is loaded", "[cache]") {
    // Another user who owns a parent directory can swap <parent>/lucet for a
    // directory of their own; a concurrent eviction removes the entry. The
    // module is loaded from the file the cache checked, not from its path.
    TempDir t;
    const std::string dir = t.path + "/cache", evil = t.path + "/evil";
    auto a = compile_cached("a", module_exporting("a"), fast_opts(), dir, 0);
    REQUIRE(a.ok());
    auto planted = compile_cached("a", module_exporting("planted"), fast_opts(), evil, 0);
    REQUIRE(planted.ok());
    const std::string name = fs::path(a.value().path).filename().string();
    auto hit = compile_cached("a", module_exporting("a"), fast_opts(), dir, 0);
    REQUIRE(hit.ok());
    // Swapped: the entry's path now names the other module's file.
    fs::rename(dir, t.path + "/moved");
    fs::rename(evil, dir);
    fs::rename(dir + "/" + fs::path(planted.value().path).filename().string(), dir + "/" + name);
    REQUIRE(first_export(hit.value().path) == "planted");  // what a load by path would run
    CHECK(first_export(hit.value()) == "a");
    // Evicted (cleared) before the load: the open entry still loads.
    auto b = compile_cached("b", module_exporting("b"), fast_opts(), dir, 0);
    REQUIRE(b.ok());
    REQUIRE(cache::clear(dir).ok());
    REQUIRE_FALSE(fs::exists(b.value().path));
    CHECK(first_export(b.value()) == "b");
}

TEST_CASE("cache: an entry renamed to another key is a miss, not the other module", "[cache]") {
    // A sync or restore tool that mixes up names: <key>.sum names its key.
    TempDir t;
    const std::string dir = t.path + "/cache";
    const std::string a = cached(dir, "a"), b = cached(dir, "b");
    const std::string ka = dir + "/" + key_of(a), kb = dir + "/" + key_of(b);
    for (const char *ext : {".so", ".sum"}) {
        fs::rename(ka + ext, t.path + "/swap");
        fs::rename(kb + ext, ka + ext);
        fs::rename(t.path + "/swap", kb + ext);
    }
    auto again = compile_cached("a", module_exporting("a"), fast_opts(), dir, 0);
    REQUIRE(again.ok());
    CHECK(again.value().path == a);
    CHECK(first_export(again.value()) == "a");
    auto again_b = compile_cached("b", module_exporting("b"), fast_opts(), dir, 0);
    REQUIRE(again_b.ok());
    CHECK(first_export(again_b.value()) == "b");
}

TEST_CASE("cache: a C compiler that hangs when probed meets the compile time limit", "[cache]") {
    TempDir t;
    const std::string cc = t.path + "/hangcc";
    std::ofstream(cc) << "#!/bin/sh\nexec sleep 300\n";
    REQUIRE(chmod(cc.c_str(), 0755) == 0);
    CompileOptions o = fast_opts();
    o.cc = cc;
    o.max_time_seconds = 2;
    const auto start = std::chrono::steady_clock::now();
    auto r = compile_cached("a", module_exporting("a"), o, t.path + "/cache", 0);
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().to_string(), Catch::Contains("cannot identify the C compiler") &&
                                          Catch::Contains("2 s time limit"));
    CHECK(took < std::chrono::seconds(60));  // not the 300 s the compiler would take
}

TEST_CASE("cache: the SIMDe headers cc would include are part of the key", "[cache]") {
    // A C compiler (a script: probed in every process, never stamped) whose
    // include directories are this test's; it compiles with the system cc.
    TempDir t;
    const std::string inc = t.path + "/include", cc = t.path + "/simdecc";
    fs::create_directories(inc);
    std::ofstream(cc) << "#!/bin/sh\nfor a; do [ \"$a\" = -v ] && printf '#include <...> search starts here:\\n "
                      << inc << "\\nEnd of search list.\\n' >&2; done\nexit 0\n";
    REQUIRE(chmod(cc.c_str(), 0755) == 0);
    CompileOptions o = fast_opts();
    o.cc = cc;
    auto id = cache::cc_identity(cc, -1, {});
    REQUIRE(id.ok());
    REQUIRE(id.value().include_dirs == std::vector<std::string>{inc});
    auto key = [&]() {
        auto k = cache::cache_key(module_exporting("a"), o);
        REQUIRE(k.ok());
        return k.value();
    };
    CHECK(cache::simde_state(id.value()) == "none");
    const std::string none = key();
    // Installed.
    fs::create_directories(inc + "/simde/wasm");
    std::ofstream(inc + "/simde/wasm/simd128.h") << "/* v1 */\n";
    std::ofstream(inc + "/simde/simde-common.h") << "/* v1 */\n";
    const std::string v1 = key();
    CHECK(v1 != none);
    CHECK(key() == v1);
    // A common header changed (an upgrade rewrites or replaces it).
    std::ofstream(inc + "/simde/simde-common.h", std::ios::app) << "/* v2 */\n";
    const std::string v2 = key();
    CHECK(v2 != v1);
    // The wasm header replaced.
    std::ofstream(inc + "/simde/wasm/simd128.h.new") << "/* v3 */\n";
    fs::rename(inc + "/simde/wasm/simd128.h.new", inc + "/simde/wasm/simd128.h");
    CHECK(key() != v2);
    // Removed again.
    fs::remove_all(inc + "/simde");
    CHECK(key() == none);
}

TEST_CASE("cache: a .wasm larger than the module limit is refused without reading it", "[cache]") {
    TempDir t;
    const std::string big = t.path + "/big.wasm";
    {
        std::ofstream(big, std::ios::binary) << module_exporting("a");
    }
    fs::resize_file(big, kMaxWasmBytes + 1);  // sparse: no disk, and read it would take a GiB of memory
    auto r = compile_cached_file(big, fast_opts(), t.path + "/cache", 0);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().to_string(), Catch::Contains("larger than the limit of 1073741824 bytes"));
    Status st = compile_file(big, t.path + "/big.so", fast_opts());
    REQUIRE_FALSE(st.ok());
    CHECK_THAT(st.error().to_string(), Catch::Contains("larger than the limit of 1073741824 bytes"));
}

TEST_CASE("cache: a TMPDIR others can swap entries of is refused for the C compiler's files", "[cache]") {
    // Its owner, or anyone who may write it without the sticky bit, could
    // swap the private build directory for their own (helper repro
    // /work/h5/repro/01: the victim cached and ran the attacker's module).
    TempDir t;
    const std::string shared = t.path + "/shared";
    fs::create_directories(shared);
    ScopedEnv env("TMPDIR", std::getenv("TMPDIR"));  // restored at the end
    setenv("TMPDIR", shared.c_str(), 1);
    REQUIRE(chmod(shared.c_str(), 0770) == 0);
    auto r = compile_cached("a", module_exporting("a"), fast_opts(), t.path + "/cache", 0);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().to_string(), Catch::Contains("refusing the temporary directory " + shared) &&
                                          Catch::Contains("group- or world-writable without the sticky bit"));
    REQUIRE(chmod(shared.c_str(), 01777) == 0);  // like /tmp: fine
    auto ok = compile_cached("a", module_exporting("a"), fast_opts(), t.path + "/cache", 0);
    REQUIRE(ok.ok());
    CHECK(first_export(ok.value()) == "a");
    if (geteuid() == 0) {
        REQUIRE(chown(shared.c_str(), 65534, 65534) == 0);
        REQUIRE(chmod(shared.c_str(), 0755) == 0);
        auto foreign = compile_cached("b", module_exporting("b"), fast_opts(), t.path + "/cache", 0);
        REQUIRE_FALSE(foreign.ok());
        CHECK_THAT(foreign.error().to_string(), Catch::Contains("is owned by uid 65534"));
    }
}

TEST_CASE("cache: the C compiler's include directories are probed per CPATH", "[cache]") {
    // CPATH puts directories before the system's: a SIMDe there is the one
    // cc includes (helper repro /work/h5/repro/02: the stamp from a run
    // without CPATH kept the system header in the key).
    TempDir t;
    auto dir = cache::Dir::open(t.path + "/cache");
    REQUIRE(dir.ok());
    const std::string inc = t.path + "/inc";
    fs::create_directories(inc + "/simde/wasm");
    std::ofstream(inc + "/simde/wasm/simd128.h") << "/* mine */\n";
    ScopedEnv env("CPATH", std::getenv("CPATH"));  // restored at the end
    // Each in a fresh process, as later runs would: the first stamps the
    // compiler's identity without CPATH, the second must not take it.
    auto simde_in_child = [&](const char *cpath) {
        return in_child([&] {
            cpath ? setenv("CPATH", cpath, 1) : unsetenv("CPATH");
            // A command no other test probes in this process (fork copies its memo).
            auto id = cache::cc_identity("/usr/bin/cc", dir.value().fd(), {});
            return id.ok() ? cache::simde_state(id.value()) : "error: " + id.error().to_string();
        });
    };
    CHECK(simde_in_child(nullptr).find(inc) == std::string::npos);
    CHECK(simde_in_child(inc.c_str()).rfind(inc + "/simde/wasm/simd128.h|", 0) == 0);
    CHECK(simde_in_child(nullptr).find(inc) == std::string::npos);
    size_t stamps = 0;
    for (auto &e : fs::directory_iterator(t.path + "/cache")) stamps += e.path().extension() == ".ccv";
    CHECK(stamps == 2);
}

TEST_CASE("cache: records that are not regular files are ignored, and clear removes them", "[cache]") {
    // A FIFO named like a record made every run hang in open (helper repro
    // /work/h5/repro/03); a directory or FIFO named like an entry survived
    // --cache-clear, which the refusal message recommends.
    TempDir t;
    const std::string dir = t.path + "/cache";
    auto d = cache::Dir::open(dir);
    REQUIRE(d.ok());
    const std::string hex(64, 'a'), hex2(64, 'b'), hex3(64, 'c');
    REQUIRE(mkfifo((dir + "/" + hex + ".wix").c_str(), 0600) == 0);
    CHECK(cache::read_record(d.value().fd(), hex + ".wix", "lucet-wasm-index 1\n").empty());
    REQUIRE(mkfifo((dir + "/" + hex2 + ".so").c_str(), 0600) == 0);
    fs::create_directory(dir + "/" + hex3 + ".so");
    REQUIRE(cache::clear(dir).ok());
    CHECK(fs::is_empty(dir));
    // Temporary names differ in more than the pid and a counter (two
    // containers sharing a cache can have the same pids).
    const std::string n1 = cache::temp_name("x.so"), n2 = cache::temp_name("x.so");
    CHECK(n1 != n2);
    CHECK(n1.size() == n2.size());
    CHECK(n1.substr(n1.rfind('.') + 1).size() == 16);
}

TEST_CASE("cache: the C compiler's directory is made on TMPDIR's real path, checked once", "[cache]") {
    // A symlink on the given path could be re-pointed after the check
    // (helper repro /work/h6/repro/02: the victim linked the attacker's
    // objects). The real path is what is checked and used.
    TempDir t;
    const std::string real = t.path + "/real", link = t.path + "/link";
    fs::create_directories(real);
    fs::create_directory_symlink(real, link);
    ScopedEnv env("TMPDIR", std::getenv("TMPDIR"));  // restored at the end
    setenv("TMPDIR", link.c_str(), 1);
    ccdrv::TempDir d;
    REQUIRE(d.create().ok());
    char resolved[PATH_MAX];
    REQUIRE(realpath(real.c_str(), resolved));
    CHECK(d.path().rfind(std::string(resolved) + "/lucetc-", 0) == 0);
}

TEST_CASE("cache: clear removes what it can and then reports what it could not", "[cache]") {
    TempDir t;
    const std::string dir = t.path + "/cache";
    const std::string a = cached(dir, "a");
    const std::string blocked = dir + "/" + std::string(64, '0') + ".so";
    fs::create_directories(blocked + "/inside");
    auto r = cache::clear(dir);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().to_string(), Catch::Contains(blocked) && Catch::Contains("Directory not empty"));
    CHECK_FALSE(fs::exists(a));  // sorted after the blocked name or not, it went
}

TEST_CASE("cache: the kernel's unmapped owner is accepted only inside a user namespace", "[cache]") {
    // Under `unshare -r` (an unprivileged sandbox) / shows as uid 65534 and
    // every compile was refused (helper repro /work/h6/repro/01); outside
    // one, a directory of the real uid 65534 (nobody) is another user's.
    if (geteuid() != 0) {
        WARN("not root: cannot chown or map a user namespace, not checked");
        return;
    }
    TempDir t;
    ScopedEnv env("TMPDIR", std::getenv("TMPDIR"));  // restored at the end
    const std::string nobody = t.path + "/nobody";
    fs::create_directories(nobody);
    REQUIRE(chown(nobody.c_str(), 65534, 65534) == 0);
    setenv("TMPDIR", nobody.c_str(), 1);
    {
        ccdrv::TempDir d;
        Status st = d.create();
        REQUIRE_FALSE(st.ok());
        CHECK_THAT(st.error().to_string(), Catch::Contains("owned by uid 65534"));
    }
    // A child in a user namespace that maps only its own uid (0 inside is
    // 4242 outside): /, /tmp and the test's directories show as unmapped.
    setenv("TMPDIR", "/tmp", 1);
    int go[2], done[2];
    REQUIRE(pipe(go) == 0);
    REQUIRE(pipe(done) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(go[1]);
        close(done[0]);
        char c = unshare(CLONE_NEWUSER) == 0 ? 'u' : 'n';
        if (write(done[1], &c, 1) != 1) _exit(20);
        if (c == 'n') _exit(0);
        if (read(go[0], &c, 1) != 1) _exit(21);  // the parent wrote the maps
        if (setuid(0) != 0) _exit(22);
        ccdrv::TempDir d;
        Status st = d.create();
        _exit(st.ok() ? 0 : 23);
    }
    close(go[0]);
    close(done[1]);
    char c = 0;
    REQUIRE(read(done[0], &c, 1) == 1);
    if (c == 'u') {
        const std::string proc = "/proc/" + std::to_string(pid);
        std::ofstream(proc + "/setgroups") << "deny";
        std::ofstream(proc + "/uid_map") << "0 4242 1";
        std::ofstream(proc + "/gid_map") << "0 4242 1";
    }
    REQUIRE(write(go[1], "g", 1) == 1);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    close(go[1]);
    close(done[0]);
    if (c != 'u') {
        WARN("cannot make a user namespace here: not checked");
        return;
    }
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
