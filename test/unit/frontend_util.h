// frontend_util.h: helpers shared by the decoder and validator unit tests:
// running wat2wasm / wast2json, building binaries by hand, checking modules.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

#include "decode/decoder.h"
#include "validate/validator.h"

namespace fe_test {

inline std::string tool(const char *env, const char *fallback) {
    const char *p = std::getenv(env);
    return p && *p ? p : fallback;
}

inline std::string temp_dir() {
    // A plain char array, not a std::string: the atexit handler below runs
    // after function-local statics registered later are destroyed.
    static char path[] = "/tmp/lucet-frontend-test-XXXXXX";
    static bool made = [] {
        if (!mkdtemp(path)) return false;
        // Remove the scratch files when the test binary exits.
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
        });
        return true;
    }();
    return made ? std::string(path) : std::string("/tmp");
}

inline std::vector<uint8_t> read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string shell_quote(const std::string &s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

// Assembles WebAssembly text with wat2wasm. `check` false passes --no-check so
// that invalid (but well-formed) modules reach our validator. Returns an empty
// vector if wat2wasm fails.
inline std::vector<uint8_t> wat(const std::string &text, bool check = true) {
    static int counter = 0;
    std::string base = temp_dir() + "/m" + std::to_string(counter++);
    {
        std::ofstream out(base + ".wat");
        out << text;
    }
    std::string cmd = shell_quote(tool("LUCET_TEST_WAT2WASM", "wat2wasm")) + (check ? "" : " --no-check") + " " +
                      shell_quote(base + ".wat") + " -o " + shell_quote(base + ".wasm") + " 2>" +
                      shell_quote(base + ".err");
    if (std::system(cmd.c_str()) != 0) return {};
    return read_file(base + ".wasm");
}

// The binary modules wast2json writes for the core spec suite (every .wast
// file of $LUCET_SPEC_DIR, simd_* included), converted once per test binary
// into the scratch directory; sorted, so callers see a stable order. Empty if
// the suite or wast2json is missing.
inline const std::vector<std::string> &spec_wasm_files() {
    static const std::vector<std::string> files = [] {
        namespace fs = std::filesystem;
        std::vector<std::string> out;
        std::string spec = tool("LUCET_SPEC_DIR", "/work/shared/spec-testsuite");
        std::string wast2json = tool("LUCET_TEST_WAST2JSON", "wast2json");
        std::string dir = temp_dir() + "/spec-bin";
        std::error_code ec;
        fs::create_directories(dir, ec);
        std::vector<std::string> wasts;
        for (const auto &e : fs::directory_iterator(spec, ec)) {
            std::string n = e.path().filename().string();
            if (n.size() > 5 && n.substr(n.size() - 5) == ".wast") wasts.push_back(n);
        }
        for (const std::string &n : wasts) {
            std::string cmd = shell_quote(wast2json) + " " + shell_quote(spec + "/" + n) + " -o " +
                              shell_quote(dir + "/" + n.substr(0, n.size() - 5) + ".json") + " >/dev/null 2>&1";
            if (std::system(cmd.c_str()) != 0) continue;
        }
        for (const auto &e : fs::directory_iterator(dir, ec))
            if (e.path().extension() == ".wasm") out.push_back(e.path().string());
        std::sort(out.begin(), out.end());
        return out;
    }();
    return files;
}

// Binary building blocks.
inline void leb(std::vector<uint8_t> &out, uint64_t v) {
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        if (v) b |= 0x80;
        out.push_back(b);
    } while (v);
}

inline std::vector<uint8_t> header() { return {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}; }

inline void section(std::vector<uint8_t> &mod, uint8_t id, const std::vector<uint8_t> &payload) {
    mod.push_back(id);
    leb(mod, payload.size());
    mod.insert(mod.end(), payload.begin(), payload.end());
}

// A module with one type [] -> [] (or as given), one function whose body
// (locals vector included) is `body`.
inline std::vector<uint8_t> one_func(const std::vector<uint8_t> &body, const std::vector<uint8_t> &type = {0x60, 0, 0},
                                     bool memory = false) {
    auto m = header();
    std::vector<uint8_t> types{1};
    types.insert(types.end(), type.begin(), type.end());
    section(m, 1, types);
    section(m, 3, {1, 0});
    if (memory) section(m, 5, {1, 0, 1});
    std::vector<uint8_t> code{1};
    leb(code, body.size());
    code.insert(code.end(), body.begin(), body.end());
    section(m, 10, code);
    return m;
}

// The decoder's message for `bytes`, "" if they decode.
inline std::string decode_error(std::vector<uint8_t> bytes) {
    auto r = lucet::decode_module(std::move(bytes));
    return r.ok() ? "" : r.error().message;
}

// "" if the module decodes and validates; the decoder's message prefixed with
// "decode: " if it is malformed; the validator's message otherwise.
inline std::string check_wat(const std::string &text) {
    auto bytes = wat(text, /*check=*/false);
    if (bytes.empty()) return "wat2wasm failed";
    auto r = lucet::decode_module(std::move(bytes));
    if (!r.ok()) return "decode: " + r.error().message;
    lucet::Status st = lucet::validate_module(*r);
    return st.ok() ? "" : st.error().message;
}

inline bool starts_with(const std::string &s, const std::string &p) { return s.rfind(p, 0) == 0; }

}  // namespace fe_test

#define VALID(text) CHECK(fe_test::check_wat(text) == "")
#define INVALID(text, prefix)                         \
    do {                                              \
        std::string msg_ = fe_test::check_wat(text);  \
        INFO("module: " << (text));                   \
        INFO("message: " << msg_);                    \
        CHECK(fe_test::starts_with(msg_, prefix));    \
    } while (0)
