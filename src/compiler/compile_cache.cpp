// compile_cache.cpp: see compile_cache.h.
#include "compiler/compile_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

namespace lucet {

namespace {

// 128-bit content hash for the cache key (not cryptographic: the cache is the
// user's own directory). Two independent 64-bit FNV-1a / multiply-xorshift
// streams.
std::string hash_hex(const std::string &data) {
    uint64_t h1 = 0xcbf29ce484222325ull, h2 = 0x9e3779b97f4a7c15ull ^ data.size();
    for (unsigned char c : data) {
        h1 = (h1 ^ c) * 0x100000001b3ull;
        h2 = (h2 ^ c) * 0xff51afd7ed558ccdull;
        h2 ^= h2 >> 29;
    }
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h1),
                  static_cast<unsigned long long>(h2));
    return buf;
}

Status mkdir_p(const std::string &dir) {
    size_t i = 0;
    while (i <= dir.size()) {
        size_t j = dir.find('/', i);
        if (j == std::string::npos) j = dir.size();
        std::string cur = dir.substr(0, j);
        if (!cur.empty() && mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST)
            return make_error("cannot create cache directory '" + cur + "': " + std::strerror(errno));
        i = j + 1;
    }
    return {};
}

}  // namespace

std::string default_cache_dir() {
    const char *xdg = std::getenv("XDG_CACHE_HOME");
    if (xdg && *xdg) return std::string(xdg) + "/lucet";
    const char *home = std::getenv("HOME");
    return std::string(home && *home ? home : ".") + "/.cache/lucet";
}

Status compile_file_atomic(const std::string &input, const std::string &output, const CompileOptions &opts) {
    static std::atomic<uint64_t> counter{0};
    std::string tmp = output + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
    Status st = compile_file(input, tmp, opts);
    if (!st) {
        unlink(tmp.c_str());
        return st;
    }
    if (std::rename(tmp.c_str(), output.c_str()) != 0) {
        int e = errno;
        unlink(tmp.c_str());
        return make_error("cannot write '" + output + "': " + std::strerror(e));
    }
    return {};
}

Result<std::string> compile_cached(const std::string &wasm_path, const CompileOptions &opts,
                                   const std::string &cache_dir) {
    std::ifstream in(wasm_path, std::ios::binary);
    if (!in) return make_error(wasm_path + ": cannot open: " + std::strerror(errno));
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return make_error(wasm_path + ": cannot read: " + std::strerror(errno));
    return compile_cached(wasm_path, bytes, opts, cache_dir);
}

Result<std::string> compile_cached(const std::string &wasm_path, const std::string &bytes, const CompileOptions &opts,
                                   const std::string &cache_dir) {
    std::string key = bytes;
    const char *env_cc = std::getenv("CC");
    key += '\0';
    key += compiler_version();
    key += '\0' + (opts.cc.empty() ? std::string(env_cc && *env_cc ? env_cc : "cc") : opts.cc);
    key += '\0' + std::to_string(opts.reserved_size) + ":" + std::to_string(opts.guard_size) + ":" +
           std::to_string(opts.opt_level);
    LUCET_TRY(mkdir_p(cache_dir));
    std::string so = cache_dir + "/" + hash_hex(key) + ".so";
    if (access(so.c_str(), R_OK) == 0) return so;
    LUCET_TRY(compile_file_atomic(wasm_path, so, opts));
    return so;
}

}  // namespace lucet
