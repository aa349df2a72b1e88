// cache_key.cpp: see cache_key.h.
#include "compiler/cache_key.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <atomic>
#include <cctype>
#include <climits>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "compiler/cc_driver.h"
#include "compiler/compile_cache.h"
#include "util/elf_image.h"

namespace lucet::cache {

namespace {

constexpr size_t kHashBytes = 32;

std::string to_hex(const unsigned char *p, size_t n) {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n; i++) {
        s += digits[p[i] >> 4];
        s += digits[p[i] & 15];
    }
    return s;
}

// Environment variables that change what gcc/clang compile or link.
const char *const kCcEnv[] = {"CPATH", "C_INCLUDE_PATH", "GCC_EXEC_PREFIX", "COMPILER_PATH", "LIBRARY_PATH"};

struct Hasher {
    crypto_generichash_state st;
    Hasher() { crypto_generichash_init(&st, nullptr, 0, kHashBytes); }
    void raw(const void *p, size_t n) { crypto_generichash_update(&st, static_cast<const unsigned char *>(p), n); }
    // A named, length-framed field.
    void field(const char *name, const std::string &value) {
        uint64_t lens[2] = {std::strlen(name), value.size()};
        raw(lens, sizeof lens);
        raw(name, lens[0]);
        raw(value.data(), value.size());
    }
    std::string hex() {
        unsigned char out[kHashBytes];
        crypto_generichash_final(&st, out, sizeof out);
        return to_hex(out, sizeof out);
    }
};

// dl_iterate_phdr callback: finds the loaded object containing `addr` and
// its GNU build-id note, if any.
struct BuildIdSearch {
    uintptr_t addr = 0;
    bool found = false;
    std::string name;  // "" for the main program
    std::string build_id;
};

std::string note_build_id(const dl_phdr_info *info, const ElfW(Phdr) &ph) {
    auto *p = reinterpret_cast<const unsigned char *>(info->dlpi_addr + ph.p_vaddr);
    const unsigned char *end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
        ElfW(Nhdr) nh;
        std::memcpy(&nh, p, sizeof nh);
        const unsigned char *name = p + sizeof nh;
        const unsigned char *desc = name + ((nh.n_namesz + 3) & ~3u);
        const unsigned char *next = desc + ((nh.n_descsz + 3) & ~3u);
        if (next > end || next <= p) break;
        if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0 && nh.n_descsz)
            return to_hex(desc, nh.n_descsz);
        p = next;
    }
    return "";
}

int find_object(dl_phdr_info *info, size_t, void *data) {
    auto *s = static_cast<BuildIdSearch *>(data);
    bool contains = false;
    for (int i = 0; i < info->dlpi_phnum && !contains; i++) {
        const ElfW(Phdr) &ph = info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
        contains = ph.p_type == PT_LOAD && s->addr >= lo && s->addr < lo + ph.p_memsz;
    }
    if (!contains) return 0;
    s->found = true;
    s->name = info->dlpi_name ? info->dlpi_name : "";
    for (int i = 0; i < info->dlpi_phnum && s->build_id.empty(); i++)
        if (info->dlpi_phdr[i].p_type == PT_NOTE) s->build_id = note_build_id(info, info->dlpi_phdr[i]);
    return 1;
}

Result<std::string> compute_build_identity() {
    BuildIdSearch s;
    s.addr = reinterpret_cast<uintptr_t>(&compute_build_identity);
    dl_iterate_phdr(find_object, &s);
    if (!s.found) return make_error("cannot find the loaded object that contains the compiler");
    if (!s.build_id.empty()) return "build-id:" + s.build_id;
    // No build-id: hash the file the code was loaded from (/proc/self/exe is
    // the running executable even if its path was replaced since).
    std::string path = s.name.empty() ? "/proc/self/exe" : s.name;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error("cannot open the compiler's own file " + path + ": " + std::strerror(errno));
    auto h = blake2b_hex_fd(fd);
    close(fd);
    if (!h.ok()) return make_error("cannot read the compiler's own file " + path + ": " + h.error().to_string());
    return "blake2b:" + h.value();
}

}  // namespace

std::string blake2b_hex(const void *data, size_t len) {
    Hasher h;
    h.raw(data, len);
    return h.hex();
}

Result<std::string> blake2b_hex_fd(int fd) {
    Hasher h;
    unsigned char buf[1 << 16];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error(std::strerror(errno));
        }
        h.raw(buf, static_cast<size_t>(n));
    }
    return h.hex();
}

Result<std::string> module_checksum_fd(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) return make_error(std::strerror(errno));
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    ImageRange image = find_image_section(
        [&](void *buf, size_t len, uint64_t off) {
            return off <= size && len <= size - off &&
                   pread(fd, buf, len, static_cast<off_t>(off)) == static_cast<ssize_t>(len);
        },
        size);
    Hasher h;
    uint64_t frame[3] = {size, image.lo, image.hi};
    h.raw(frame, sizeof frame);
    unsigned char buf[1 << 16];
    for (uint64_t off = 0; off < size;) {
        if (off == image.lo && image.hi > image.lo) {
            off = image.hi;
            continue;
        }
        uint64_t end = off < image.lo ? image.lo : size;
        ssize_t n = pread(fd, buf, static_cast<size_t>(std::min<uint64_t>(sizeof buf, end - off)), static_cast<off_t>(off));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(std::strerror(errno));
        if (n == 0) return make_error("the file is shorter than its size");
        h.raw(buf, static_cast<size_t>(n));
        off += static_cast<uint64_t>(n);
    }
    return h.hex();
}

Result<std::string> compiler_build_identity() {
    static const Result<std::string> identity = compute_build_identity();
    return identity;
}

namespace {

// The identity of the file `cc` runs when it is a plain command (a path, or
// a name looked up in PATH; no arguments or shell syntax) naming a compiler
// binary: its real path, device, inode, size, mtime and ctime, which change
// whenever the file is replaced or written (a package upgrade renames a new
// file in). "" otherwise.
std::string cc_file_identity(const std::string &cc) {
    if (cc.empty()) return "";
    for (char c : cc)
        if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr("._/+-", c)) return "";
    std::vector<std::string> candidates;
    if (cc.find('/') != std::string::npos) {
        candidates.push_back(cc);
    } else if (const char *path = std::getenv("PATH")) {
        std::string p = path;
        for (size_t i = 0, j; i <= p.size(); i = j + 1) {
            j = p.find(':', i);
            if (j == std::string::npos) j = p.size();
            candidates.push_back((j > i ? p.substr(i, j - i) : std::string(".")) + "/" + cc);
        }
    }
    for (const std::string &c : candidates) {
        struct stat st;
        if (stat(c.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || access(c.c_str(), X_OK) != 0) continue;
        // Only a compiler binary answers --version by itself: a script (a
        // wrapper whose answer may come from its environment or another
        // file) or a compiler cache that runs the compiler it finds in PATH
        // (ccache, sccache, distcc) runs every time.
        char real[PATH_MAX];
        if (!realpath(c.c_str(), real)) return "";
        std::string base = std::strrchr(real, '/') ? std::strrchr(real, '/') + 1 : real;
        if (base.find("ccache") != std::string::npos || base.find("distcc") != std::string::npos) return "";
        int fd = open(real, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return "";
        char magic[4] = {};
        bool elf = read(fd, magic, 4) == 4 && std::memcmp(magic, "\177ELF", 4) == 0;
        close(fd);
        if (!elf) return "";
        return cc + "|" + real + "|" + file_state(st);
    }
    return "";
}

constexpr char kStampHeader[] = "lucet-cc-version 1\n";

}  // namespace

std::string file_state(const struct stat &st) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%llu|%llu|%lld|%lld.%09ld|%lld.%09ld", (unsigned long long)st.st_dev,
                  (unsigned long long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                  st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
    return buf;
}

std::string read_record(const std::string &path, std::string_view header) {
    if (!check_entry_file(path).ok()) return "";
    int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return "";
    std::string text(1 << 16, '\0');
    ssize_t n = read(fd, text.data(), text.size());
    close(fd);
    if (n <= 0 || static_cast<size_t>(n) >= text.size()) return "";
    text.resize(static_cast<size_t>(n));
    if (text.compare(0, header.size(), header) != 0) return "";
    return text.substr(header.size());
}

void write_record(const std::string &path, std::string_view header, const std::string &body) {
    static std::atomic<uint64_t> counter{0};
    std::string tmp = path + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
    if (fd < 0) return;
    std::string text = std::string(header) + body;
    bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ok = close(fd) == 0 && ok;
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) unlink(tmp.c_str());
}

Result<std::string> cc_version(const std::string &cc, const std::string &cache_dir) {
    static std::mutex mu;
    static std::map<std::string, std::string> known;
    {
        std::lock_guard<std::mutex> lock(mu);
        if (auto it = known.find(cc); it != known.end()) return it->second;
    }
    // A stamp in the cache directory, named by the compiler file's identity,
    // spares a cached module's run the `cc --version` process (~3 ms).
    std::string stamp;
    if (!cache_dir.empty()) {
        std::string id = cc_file_identity(cc);
        if (!id.empty()) stamp = cache_dir + "/" + blake2b_hex(id.data(), id.size()) + ".ccv";
    }
    std::string version = stamp.empty() ? "" : read_record(stamp, kStampHeader);
    if (version.empty()) {
        auto out = ccdrv::capture_output(cc + " --version", "'" + cc + " --version'", 1 << 16);
        if (!out.ok())
            return make_error("cannot identify the C compiler for the cache key: " + out.error().to_string());
        version = out.value();
        if (!stamp.empty() && !version.empty()) write_record(stamp, kStampHeader, version);
    }
    std::lock_guard<std::mutex> lock(mu);
    known.emplace(cc, version);
    return version;
}

Result<std::string> cache_key(const std::string &bytes, const CompileOptions &opts, const std::string &cache_dir) {
    if (sodium_init() < 0) return make_error("cannot initialise libsodium");
    return cache_key_of_module(blake2b_hex(bytes.data(), bytes.size()), opts, cache_dir);
}

Result<std::string> cache_key_of_module(const std::string &module_hash, const CompileOptions &opts,
                                        const std::string &cache_dir) {
    if (sodium_init() < 0) return make_error("cannot initialise libsodium");
    auto identity = compiler_build_identity();
    if (!identity.ok()) return identity.error();
    const std::string cc = cc_command(opts);
    auto version = cc_version(cc, cache_dir);
    if (!version.ok()) return version.error();
    Hasher h;
    // 3: .sum = module_checksum_fd; 4: the module by its BLAKE2b (the .wasm index)
    h.field("lucet-compile-cache", "4");
    h.field("module-blake2b", module_hash);
    h.field("compiler", compiler_version());
    h.field("compiler-build", identity.value());
    h.field("cc", cc);
    h.field("cc-version", version.value());
    for (const char *name : kCcEnv) {
        const char *v = std::getenv(name);
        h.field(name, v ? std::string("=") + v : std::string());
    }
    h.field("options", code_fingerprint(opts));
    return h.hex();
}

}  // namespace lucet::cache
