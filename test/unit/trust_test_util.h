// trust_test_util.h: what the sandbox-trust tests (test_escape, test_elf_check,
// test_signature) share: a private temp dir, .wat -> .so through the real
// compiler, C -> .so through the real cc, and whole-file I/O.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "compiler/compiler.h"

namespace trust_test {

inline const std::string &dir() {
    static std::string d = [] {
        char tmpl[] = "/tmp/lucet-trust-test-XXXXXX";
        const char *p = mkdtemp(tmpl);
        return std::string(p ? p : "");
    }();
    return d;
}

inline void write_file(const std::string &path, const std::string &text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    REQUIRE(out.good());
}

inline std::vector<uint8_t> read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::string &path, const std::vector<uint8_t> &bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

inline bool exists(const std::string &path) { return access(path.c_str(), F_OK) == 0; }

// .wat text -> <dir>/<name>.so with lucet::compile_file; returns the .so path.
inline std::string compile_wat(const std::string &name, const std::string &wat, lucet::CompileOptions opts = {}) {
    std::string base = dir() + "/" + name;
    write_file(base + ".wat", wat);
    const char *w2w = std::getenv("LUCET_TEST_WAT2WASM");
    std::string cmd = std::string(w2w ? w2w : "wat2wasm") + " " + base + ".wat -o " + base + ".wasm";
    REQUIRE(std::system(cmd.c_str()) == 0);
    opts.jobs = 1;
    lucet::Status st = lucet::compile_file(base + ".wasm", base + ".so", opts);
    if (!st) FAIL("compile_file: " << st.error().to_string());
    return base + ".so";
}

// C source -> <dir>/<name>.so with `cc <flags> -shared -fPIC`; returns the path.
inline std::string cc_so(const std::string &name, const std::string &source, const std::string &flags) {
    std::string base = dir() + "/" + name;
    write_file(base + ".c", source);
    std::string cmd = "cc -O2 -fPIC -shared -I" LUCET_TEST_SRC_DIR "/src " + flags + " -o " + base + ".so " + base +
                      ".c 2>&1";
    if (std::system(cmd.c_str()) != 0) FAIL("failed: " << cmd);
    return base + ".so";
}

}  // namespace trust_test
