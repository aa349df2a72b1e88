// test_compile_cache.cpp: the .wasm compile cache (src/compiler/compile_cache.*):
// the key (BLAKE2b over the exact bytes compiled, compiler build, cc and its
// version, options), directory/entry trust checks, checksummed entries, LRU
// eviction and clearing. Real compiles with the system cc, each test in its
// own temporary directory.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "abi/lucet_abi.h"
#include "compiler/cache_key.h"
#include "compiler/compile_cache.h"
#include "cache_test_util.h"
#include "rt_test_modules.h"
#include "runtime/runtime.h"

namespace fs = std::filesystem;
using namespace lucet;
using namespace lucet::cache_test;

TEST_CASE("cache: the key covers the module bytes, cc, the options and the compiler build", "[cache]") {
    const CompileOptions o = fast_opts();
    auto a = cache::cache_key(module_exporting("a"), o);
    auto a2 = cache::cache_key(module_exporting("a"), o);
    auto b = cache::cache_key(module_exporting("b"), o);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(a.value().size() == 64);
    CHECK(a.value() == a2.value());
    CHECK(a.value() != b.value());
    CompileOptions o2 = o;
    o2.opt_level = 2;
    CHECK(cache::cache_key(module_exporting("a"), o2).value() != a.value());
    CompileOptions layout = o;
    layout.guard_size = 2ull << 30;
    CHECK(cache::cache_key(module_exporting("a"), layout).value() != a.value());
    CompileOptions other_cc = o;
    other_cc.cc = "cc -fno-builtin";
    CHECK(cache::cache_key(module_exporting("a"), other_cc).value() != a.value());
    CompileOptions jobs = o;
    jobs.jobs = 3;  // does not change the code
    CHECK(cache::cache_key(module_exporting("a"), jobs).value() == a.value());

    auto id = cache::compiler_build_identity();
    REQUIRE(id.ok());
    CHECK((id.value().rfind("build-id:", 0) == 0 || id.value().rfind("blake2b:", 0) == 0));
    CHECK(id.value().size() > 20);
    auto v = cache::cc_identity("cc", -1, {});
    REQUIRE(v.ok());
    CHECK_FALSE(v.value().version.empty());
    CHECK_FALSE(v.value().include_dirs.empty());
    CHECK_FALSE(cache::cc_identity("/nonexistent/cc", -1, {}).ok());
}

TEST_CASE("cache: the bytes compiled are the bytes given, not the file named", "[cache]") {
    TempDir t;
    std::string path = t.path + "/m.wasm";
    std::ofstream(path, std::ios::binary) << module_exporting("from_file");
    auto so = compile_cached(path, module_exporting("given"), fast_opts(), t.path + "/cache", 0);
    REQUIRE(so.ok());
    CHECK(first_export(so.value()) == "given");
    // Reading the file (into $XDG_CACHE_HOME/lucet): its content, read once.
    setenv("XDG_CACHE_HOME", (t.path + "/xdg").c_str(), 1);
    auto so2 = compile_cached(path, fast_opts());
    unsetenv("XDG_CACHE_HOME");
    REQUIRE(so2.ok());
    CHECK(so2.value().path.rfind(t.path + "/xdg/lucet/", 0) == 0);
    CHECK(first_export(so2.value()) == "from_file");
}

TEST_CASE("cache: the directory comes from XDG_CACHE_HOME, HOME or the password database, never the cwd",
          "[cache]") {
    // Restores the two variables whatever happens below.
    struct Env {
        std::optional<std::string> xdg, home;
        Env() {
            if (const char *v = std::getenv("XDG_CACHE_HOME")) xdg = v;
            if (const char *v = std::getenv("HOME")) home = v;
        }
        ~Env() {
            xdg ? setenv("XDG_CACHE_HOME", xdg->c_str(), 1) : unsetenv("XDG_CACHE_HOME");
            home ? setenv("HOME", home->c_str(), 1) : unsetenv("HOME");
        }
    } env;
    setenv("XDG_CACHE_HOME", "/x/y", 1);
    CHECK(default_cache_dir().value() == "/x/y/lucet");
    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", "/h", 1);
    CHECK(default_cache_dir().value() == "/h/.cache/lucet");
    // Neither: the user's home from the password database (with no HOME,
    // the cache had gone to ./.cache/lucet).
    unsetenv("HOME");
    struct passwd *pw = getpwuid(getuid());
    auto d = default_cache_dir();
    if (pw && pw->pw_dir && *pw->pw_dir) {
        REQUIRE(d.ok());
        CHECK(d.value() == std::string(pw->pw_dir) + "/.cache/lucet");
    } else {
        CHECK_FALSE(d.ok());
    }
    // A relative directory is refused, naming the variable.
    setenv("HOME", "rel", 1);
    d = default_cache_dir();
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().to_string().find("HOME is a relative path ('rel/.cache')") != std::string::npos);
    setenv("XDG_CACHE_HOME", ".", 1);
    d = default_cache_dir();
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().to_string().find("XDG_CACHE_HOME is a relative path") != std::string::npos);
}

TEST_CASE("cache: two modules never share an entry; a hit reuses the entry", "[cache]") {
    TempDir t;
    const std::string dir = t.path + "/cache";
    const std::string a = cached(dir, "a"), b = cached(dir, "b");
    CHECK(a != b);
    CHECK(first_export(a) == "a");
    CHECK(first_export(b) == "b");
    set_mtime(a, 1000000000);
    struct stat st;
    REQUIRE(stat(a.c_str(), &st) == 0);
    const ino_t inode = st.st_ino;
    CHECK(cached(dir, "a") == a);
    REQUIRE(stat(a.c_str(), &st) == 0);
    CHECK(st.st_ino == inode);        // not recompiled
    CHECK(st.st_mtime > 1000000000);  // the hit refreshed its LRU time
    // Changing the optimisation level misses.
    CompileOptions o2 = fast_opts();
    o2.opt_level = 1;
    auto a3 = compile_cached("a", module_exporting("a"), o2, dir, 0);
    REQUIRE(a3.ok());
    CHECK(a3.value().path != a);
    CHECK(count_entries(dir) == 3);
}

TEST_CASE("cache: the directory is created 0700 and entries read-only (0400)", "[cache]") {
    TempDir t;
    const std::string dir = t.path + "/new/cache";
    auto so = compile_cached("a", module_exporting("a"), fast_opts(), dir, 0);
    REQUIRE(so.ok());
    struct stat st;
    REQUIRE(stat(dir.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    REQUIRE(stat((t.path + "/new").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    REQUIRE(stat(so.value().path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0400);
    std::string sum = dir + "/" + key_of(so.value().path) + ".sum";
    REQUIRE(stat(sum.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0400);
    // An entry of an older version (0600) is made read-only by its next hit.
    REQUIRE(chmod(so.value().path.c_str(), 0600) == 0);
    REQUIRE(compile_cached("a", module_exporting("a"), fast_opts(), dir, 0).ok());
    REQUIRE(stat(so.value().path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0400);
}

namespace {

// (module (memory 1) (data (i32.const 4096) "<12288 x c>")): three pages of
// data, which lucetc lays out as the .so's data image.
std::string module_with_image(char c) {
    std::string m("\0asm\1\0\0\0", 8);
    m += std::string("\x05\x03\x01\x00\x01", 5);  // memory section: min 1 page
    m += std::string("\x0b\x88\x60\x01\x00\x41\x80\x20\x0b\x80\x60", 11);  // data: active, i32.const 4096, 12288 bytes
    m += std::string(3 * 4096, c);
    return m;
}

}  // namespace

TEST_CASE("cache: an entry's data image is mapped from the entry, not copied", "[cache]") {
    // Entries are read-only, so the loader maps their .lucet_image straight
    // into instances (runtime/module_file.cpp) as it does for a chmod a-w .so.
    TempDir t;
    const std::string dir = t.path + "/cache";
    auto so = compile_cached("img", module_with_image('A'), fast_opts(), dir, 0);
    REQUIRE(so.ok());
    {
        auto m = DlModule::load(so.value().path);
        REQUIRE(m.ok());
        CHECK(rt_test::file_mapped(so.value().path));
        CHECK(rt_test::image_bytes_seen(*m, 'A') == 3 * 4096);
    }
    // The checksum leaves the image out but still covers the code and
    // metadata: a changed byte there is a miss (recompiled).
    const uintmax_t size = fs::file_size(so.value().path);
    REQUIRE(chmod(so.value().path.c_str(), 0600) == 0);
    {
        std::fstream f(so.value().path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(64);  // the ELF program headers
        f.put('\x5a');
    }
    auto again = compile_cached("img", module_with_image('A'), fast_opts(), dir, 0);
    REQUIRE(again.ok());
    CHECK(again.value().path == so.value().path);
    CHECK(fs::file_size(again.value().path) == size);
    auto m = DlModule::load(again.value().path);
    CHECK(m.ok());
}

TEST_CASE("cache: an untrusted directory or entry is refused", "[cache]") {
    TempDir t;
    const std::string dir = t.path + "/cache";
    auto so = compile_cached("a", module_exporting("a"), fast_opts(), dir, 0);
    REQUIRE(so.ok());

    SECTION("group-writable directory") {
        REQUIRE(chmod(dir.c_str(), 0770) == 0);
        auto r = compile_cached("a", module_exporting("a"), fast_opts(), dir, 0);
        REQUIRE_FALSE(r.ok());
        CHECK_THAT(r.error().to_string(), Catch::Contains("group- or world-writable (mode 0770)"));
    }
    SECTION("world-writable directory") {
        REQUIRE(chmod(dir.c_str(), 0757) == 0);
        CHECK_FALSE(compile_cached("b", module_exporting("b"), fast_opts(), dir, 0).ok());
    }
    SECTION("directory of another user") {
        if (geteuid() != 0) {
            WARN("not root: cannot chown, not checked");
            return;
        }
        REQUIRE(chown(dir.c_str(), 65534, 65534) == 0);
        auto r = compile_cached("a", module_exporting("a"), fast_opts(), dir, 0);
        REQUIRE_FALSE(r.ok());
        CHECK_THAT(r.error().to_string(), Catch::Contains("owned by uid 65534"));
    }
    SECTION("entry of another user") {
        if (geteuid() != 0) {
            WARN("not root: cannot chown, not checked");
            return;
        }
        REQUIRE(chown(so.value().path.c_str(), 65534, 65534) == 0);
        auto r = compile_cached("a", module_exporting("a"), fast_opts(), dir, 0);
        REQUIRE_FALSE(r.ok());
        CHECK_THAT(r.error().to_string(), Catch::Contains("cache entry '" + so.value().path + "' is owned by uid 65534"));
    }
    SECTION("group-writable checksum") {
        REQUIRE(chmod((dir + "/" + key_of(so.value().path) + ".sum").c_str(), 0620) == 0);
        CHECK_FALSE(compile_cached("a", module_exporting("a"), fast_opts(), dir, 0).ok());
    }
    SECTION("entry replaced by a symlink") {
        std::string elsewhere = t.path + "/elsewhere.so";
        fs::rename(so.value().path, elsewhere);
        fs::create_symlink(elsewhere, so.value().path);
        auto r = compile_cached("a", module_exporting("a"), fast_opts(), dir, 0);
        REQUIRE_FALSE(r.ok());
        CHECK_THAT(r.error().to_string(), Catch::Contains("not a regular file"));
    }
}

TEST_CASE("cache: a corrupted entry is recompiled, never loaded", "[cache]") {
    TempDir t;
    const std::string dir = t.path + "/cache";
    auto so = compile_cached("a", module_exporting("a"), fast_opts(), dir, 0);
    REQUIRE(so.ok());
    const uintmax_t size = fs::file_size(so.value().path);
    REQUIRE(chmod(so.value().path.c_str(), 0600) == 0);  // entries are read-only: a deliberate change
    SECTION("truncated") { fs::resize_file(so.value().path, size / 2); }
    SECTION("one byte changed, same size") {
        std::fstream f(so.value().path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(size / 2));
        f.put('\x5a');
    }
    SECTION("checksum missing") { fs::remove(dir + "/" + key_of(so.value().path) + ".sum"); fs::resize_file(so.value().path, 100); }
    auto again = compile_cached("a", module_exporting("a"), fast_opts(), dir, 0);
    REQUIRE(again.ok());
    CHECK(again.value().path == so.value().path);
    CHECK(fs::file_size(again.value().path) == size);
    CHECK(first_export(again.value()) == "a");
}

TEST_CASE("cache: eviction keeps the bound and evicts the least recently used", "[cache]") {
    TempDir t;
    const std::string dir = t.path + "/cache";
    const std::string a = cached(dir, "a"), b = cached(dir, "b");
    uint64_t entry = fs::file_size(a) + 64;  // .so + .sum
    set_mtime(a, 1000000000);
    set_mtime(b, 1000000100);
    // A hit on a makes b the least recently used.
    cached(dir, "a");
    // Room for two entries (sizes differ by a few bytes at most): c evicts b.
    const uint64_t bound = 2 * entry + entry / 2;
    const std::string c = cached(dir, "c", bound);
    CHECK(fs::exists(a));
    CHECK_FALSE(fs::exists(b));
    CHECK_FALSE(fs::exists(dir + "/" + key_of(b) + ".sum"));
    CHECK(fs::exists(c));
    uint64_t total = 0;
    for (const auto &e : fs::directory_iterator(dir)) total += fs::file_size(e.path());
    CHECK(total <= bound);
    // A bound smaller than one entry keeps just the new one.
    const std::string d = cached(dir, "d", 1);
    CHECK(count_entries(dir) == 1);
    CHECK(fs::exists(d));
}

TEST_CASE("cache: clear removes entries and temporaries, nothing else", "[cache]") {
    TempDir t;
    const std::string dir = t.path + "/cache";
    auto a = compile_cached("a", module_exporting("a"), fast_opts(), dir, 0);
    REQUIRE(a.ok());
    std::string temp = a.value().path + ".tmp.1.2";
    std::ofstream(temp) << "half";
    std::ofstream(dir + "/notes.txt") << "mine";
    auto r = cache::clear(dir);
    REQUIRE(r.ok());
    CHECK(r.value().entries == 1);
    CHECK(count_entries(dir) == 0);
    CHECK_FALSE(fs::exists(temp));
    CHECK(fs::exists(dir + "/notes.txt"));
    auto missing = cache::clear(t.path + "/none");
    REQUIRE(missing.ok());
    CHECK(missing.value().entries == 0);
}

TEST_CASE("cache: LUCET_CACHE_MAX_SIZE sets the bound", "[cache]") {
    unsetenv("LUCET_CACHE_MAX_SIZE");
    CHECK(default_cache_max_size().value() == kDefaultCacheMaxSize);
    setenv("LUCET_CACHE_MAX_SIZE", "64 MiB", 1);
    CHECK(default_cache_max_size().value() == (64u << 20));
    setenv("LUCET_CACHE_MAX_SIZE", "lots", 1);
    CHECK_FALSE(default_cache_max_size().ok());
    unsetenv("LUCET_CACHE_MAX_SIZE");
}

namespace {

// cache::cc_identity(cc, dir)'s version in a fresh process (the function remembers its
// answer per process), as a later lucet-wasi run would call it.
std::string cc_version_in_child(const std::string &cc, const std::string &dir) {
    return in_child([&] {
        auto d = dir.empty() ? Result<cache::Dir>(cache::Dir()) : cache::Dir::open(dir);
        auto v = d.ok() ? cache::cc_identity(cc, d.value().fd(), {}) : Result<cache::CcIdentity>(d.error());
        return v.ok() ? v.value().version : "error: " + v.error().to_string();
    });
}

size_t lines_in(const std::string &path) {
    std::ifstream in(path);
    size_t n = 0;
    for (std::string l; std::getline(in, l);) n++;
    return n;
}

}  // namespace

TEST_CASE("cache: the C compiler is probed once per compiler file (--version, -E -v), then comes from its stamp", "[cache]") {
    TempDir t;
    const std::string dir = t.path + "/cache", cc = t.path + "/fakecc", ran = t.path + "/ran";
    REQUIRE(cache::Dir::open(dir).ok());
    // A compiler binary (a script always runs: its answer may depend on its
    // environment) that logs each run and prints `version`. A probe runs it
    // twice: --version, and -E -v for its include directories.
    auto build_cc = [&](const char *version) {
        std::string src = t.path + "/fakecc.c";
        std::ofstream(src) << "#include <stdio.h>\nint main(void) {\n  FILE *f = fopen(\"" << ran
                           << "\", \"a\");\n  if (f) { fputs(\"run\\n\", f); fclose(f); }\n  puts(\"" << version
                           << "\");\n  return 0;\n}\n";
        std::string cmd = "cc -o '" + cc + ".new' '" + src + "' && mv '" + cc + ".new' '" + cc + "'";
        REQUIRE(std::system(cmd.c_str()) == 0);
    };
    auto stamps = [&]() {
        std::vector<std::string> v;
        for (auto &e : fs::directory_iterator(dir))
            if (e.path().extension() == ".ccv") v.push_back(e.path().string());
        return v;
    };
    build_cc("fake cc 1");
    CHECK(cc_version_in_child(cc, dir) == "fake cc 1");
    CHECK(lines_in(ran) == 2);
    REQUIRE(stamps().size() == 1);
    // Later processes read the stamp: the compiler does not run again.
    CHECK(cc_version_in_child(cc, dir) == "fake cc 1");
    CHECK(cc_version_in_child(cc, dir) == "fake cc 1");
    CHECK(lines_in(ran) == 2);
    // A replaced compiler file is a new identity: it runs again.
    build_cc("fake cc 2, longer");
    CHECK(cc_version_in_child(cc, dir) == "fake cc 2, longer");
    CHECK(lines_in(ran) == 4);
    // A stamp others could have written is not believed.
    for (const std::string &s : stamps()) REQUIRE(chmod(s.c_str(), 0666) == 0);
    CHECK(cc_version_in_child(cc, dir) == "fake cc 2, longer");
    CHECK(lines_in(ran) == 6);
    // Without a cache directory, for a command with arguments, or for a
    // script, cc runs each time.
    CHECK(cc_version_in_child(cc, "") == "fake cc 2, longer");
    CHECK(cc_version_in_child(cc + " -O2", dir) == "fake cc 2, longer");
    CHECK(lines_in(ran) == 10);
    const std::string script = t.path + "/scriptcc";
    std::ofstream(script) << "#!/bin/sh\necho run >> '" << ran << "'\necho script cc\n";
    REQUIRE(chmod(script.c_str(), 0755) == 0);
    CHECK(cc_version_in_child(script, dir) == "script cc");
    CHECK(cc_version_in_child(script, dir) == "script cc");
    CHECK(lines_in(ran) == 14);
    // clear removes the stamps with the entries.
    REQUIRE(cache::clear(dir).ok());
    CHECK(stamps().empty());
}

TEST_CASE("cache: the .wasm index finds an unchanged file's entry without reading it", "[cache]") {
    TempDir t;
    const std::string dir = t.path + "/cache", a = t.path + "/a.wasm", b = t.path + "/b.wasm";
    std::ofstream(a, std::ios::binary) << module_exporting("from_a");
    std::ofstream(b, std::ios::binary) << module_exporting("from_b");
    auto indexes = [&]() {
        std::vector<std::string> v;
        for (auto &e : fs::directory_iterator(dir))
            if (e.path().extension() == ".wix") v.push_back(e.path().string());
        std::sort(v.begin(), v.end());
        return v;
    };
    // A file changed less than 2 s ago is not recorded (a later write within
    // the same timestamp tick could keep its identity).
    auto fresh = compile_cached_file(a, fast_opts(), dir, 0);
    REQUIRE(fresh.ok());
    CHECK(first_export(fresh.value()) == "from_a");
    CHECK(indexes().empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    auto sa = compile_cached_file(a, fast_opts(), dir, 0);
    REQUIRE(sa.ok());
    CHECK(sa.value().path == fresh.value().path);
    REQUIRE(indexes().size() == 1);
    const std::string index_a = indexes()[0];
    auto sb = compile_cached_file(b, fast_opts(), dir, 0);
    REQUIRE(sb.ok());
    REQUIRE(indexes().size() == 2);
    // The index is what a hit believes: pointing a's record at b's module
    // makes a's lookup return b's entry (so it is never read: the record,
    // as trusted as the entries beside it, stands for the file).
    std::string b_hash = cache::blake2b_hex(module_exporting("from_b").data(), module_exporting("from_b").size());
    fs::remove(index_a);
    {
        auto d = cache::Dir::open(dir);
        REQUIRE(d.ok());
        cache::write_record(d.value().fd(), fs::path(index_a).filename().string(), "lucet-wasm-index 1\n", b_hash);
    }
    auto forged = compile_cached_file(a, fast_opts(), dir, 0);
    REQUIRE(forged.ok());
    CHECK(forged.value().path == sb.value().path);
    // A record others could have written is not believed: a is read again.
    REQUIRE(chmod(index_a.c_str(), 0644 | S_IWGRP) == 0);
    auto untrusted = compile_cached_file(a, fast_opts(), dir, 0);
    REQUIRE(untrusted.ok());
    CHECK(first_export(untrusted.value()) == "from_a");
    // A rewritten file is a new identity (its ctime moved): its new content.
    std::ofstream(a, std::ios::binary) << module_exporting("from_a2");
    auto changed = compile_cached_file(a, fast_opts(), dir, 0);
    REQUIRE(changed.ok());
    CHECK(first_export(changed.value()) == "from_a2");
    // clear removes the index with the entries.
    REQUIRE(cache::clear(dir).ok());
    CHECK(indexes().empty());
}
