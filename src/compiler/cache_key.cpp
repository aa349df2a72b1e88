// cache_key.cpp: see cache_key.h.
#include "compiler/cache_key.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>

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
#include "util/file_bytes.h"
#include "util/unique_fd.h"

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

}  // namespace

std::string file_state(const struct stat &st) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%llu|%llu|%lld|%lld.%09ld|%lld.%09ld", (unsigned long long)st.st_dev,
                  (unsigned long long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                  st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
    return buf;
}

std::string temp_name(const std::string &name) {
    // The pid and a counter, and random bits: processes in two PID
    // namespaces (containers sharing one cache) can have the same pid.
    static std::atomic<uint64_t> counter{0};
    unsigned char r[8];
    // randombytes_buf reads the system's generator even if libsodium could
    // not initialise; the bits only keep names apart.
    if (sodium_init() < 0) r[0] = 0;
    randombytes_buf(r, sizeof r);
    return name + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++) + "." + to_hex(r, sizeof r);
}

std::string read_record(int dir_fd, const std::string &name, std::string_view header) {
    UniqueFd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd || !check_entry(fd.get(), name).ok()) return "";
    std::string text(1 << 16, '\0');
    ssize_t n = read(fd.get(), text.data(), text.size());
    if (n <= 0 || static_cast<size_t>(n) >= text.size()) return "";
    text.resize(static_cast<size_t>(n));
    if (text.compare(0, header.size(), header) != 0) return "";
    return text.substr(header.size());
}

int write_new_file(int dir_fd, const std::string &tmp, std::string_view text) {
    UniqueFd fd(openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400));
    if (!fd) return errno;
    int e = write_all(fd.get(), text.data(), text.size());
    if (close(fd.release()) != 0 && e == 0) e = errno;
    if (e != 0) unlinkat(dir_fd, tmp.c_str(), 0);
    return e;
}

void write_record(int dir_fd, const std::string &name, std::string_view header, const std::string &body) {
    std::string tmp = temp_name(name);
    if (write_new_file(dir_fd, tmp, std::string(header) + body) == 0 &&
        renameat(dir_fd, tmp.c_str(), dir_fd, name.c_str()) != 0)
        unlinkat(dir_fd, tmp.c_str(), 0);
}

namespace {

// Runs the C compiler twice: `--version`, and its preprocessor verbosely on
// nothing, which lists where it looks for <...> headers.
Result<CcIdentity> probe_cc(const std::string &cc, const ccdrv::Limits &limits) {
    CcIdentity id;
    auto out = ccdrv::capture_output(cc + " --version", "'" + cc + " --version'", 1 << 16, limits);
    if (!out.ok()) return make_error("cannot identify the C compiler for the cache key: " + out.error().to_string());
    id.version = out.value();
    auto search = ccdrv::capture_output(cc + " -E -v -x c /dev/null", "'" + cc + " -E -v' (its include directories)",
                                        1 << 16, limits);
    if (!search.ok()) {
        // Out of time is an error; a compiler that cannot do this is one
        // whose include directories are unknown (it may still compile: a
        // wrapper that takes only what lucetc gives it).
        if (limits.deadline && std::chrono::steady_clock::now() >= *limits.deadline)
            return make_error("cannot identify the C compiler for the cache key: " + search.error().to_string());
        id.include_dirs_known = false;
        return id;
    }
    bool in_list = false;
    for (size_t i = 0, j; i < search.value().size(); i = j + 1) {
        j = search.value().find('\n', i);
        if (j == std::string::npos) j = search.value().size();
        std::string line = search.value().substr(i, j - i);
        if (line.rfind("#include <...> search starts here:", 0) == 0) in_list = true;
        else if (line.rfind("End of search list.", 0) == 0) in_list = false;
        else if (in_list && line.size() > 1 && line[0] == ' ' && line[1] == '/') id.include_dirs.push_back(line.substr(1));
    }
    return id;
}

constexpr char kStampHeader[] = "lucet-cc-version 2\n";

std::string identity_record(const CcIdentity &id) {
    std::string body;
    for (const std::string &d : id.include_dirs) body += "include " + d + "\n";
    return body + "version\n" + id.version;
}

std::optional<CcIdentity> parse_identity_record(const std::string &body) {
    CcIdentity id;
    for (size_t i = 0, j; i < body.size(); i = j + 1) {
        j = body.find('\n', i);
        if (j == std::string::npos) return std::nullopt;
        std::string line = body.substr(i, j - i);
        if (line == "version") {
            id.version = body.substr(j + 1);
            if (id.version.empty()) return std::nullopt;
            return id;
        }
        if (line.rfind("include /", 0) != 0) return std::nullopt;
        id.include_dirs.push_back(line.substr(8));
    }
    return std::nullopt;
}

}  // namespace

std::string simde_state(const CcIdentity &id) {
    if (!id.include_dirs_known) return "unknown";
    for (const std::string &d : id.include_dirs) {
        const std::string header = d + "/simde/wasm/simd128.h";
        struct stat st;
        if (stat(header.c_str(), &st) != 0) continue;
        // The header cc finds first, and the common headers beside it in
        // simde/ that it includes (simde-common.h, hedley.h, ...).
        std::string state = header + "|" + file_state(st) + "\n";
        const std::string root = d + "/simde";
        int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *dir = fd < 0 ? nullptr : fdopendir(fd);
        if (!dir) {
            if (fd >= 0) close(fd);
            return state + "unreadable " + root;
        }
        std::vector<std::string> files;
        while (dirent *de = readdir(dir)) {
            if (fstatat(fd, de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
                files.push_back(std::string(de->d_name) + "|" + file_state(st) + "\n");
        }
        closedir(dir);
        std::sort(files.begin(), files.end());
        for (const std::string &f : files) state += f;
        return state;
    }
    return "none";
}

Result<CcIdentity> cc_identity(const std::string &cc, int dir_fd, const ccdrv::Limits &limits) {
    static std::mutex mu;
    static std::map<std::string, CcIdentity> known;
    // The variables that steer cc change its include directories (CPATH
    // comes before the system's): part of what a probe's answer is for.
    std::string env;
    for (const char *name : kCcEnv) {
        const char *v = std::getenv(name);
        env += std::string("|") + name + (v ? std::string("=") + v : std::string());
    }
    const std::string memo = cc + env;
    {
        std::lock_guard<std::mutex> lock(mu);
        if (auto it = known.find(memo); it != known.end()) return it->second;
    }
    // A stamp in the cache directory, named by the compiler file's identity
    // and those variables, spares a cached module's run the probes (~2 ms
    // and ~6 ms).
    std::string stamp;
    if (dir_fd >= 0) {
        std::string file = cc_file_identity(cc);
        if (!file.empty()) {
            file += env;
            stamp = blake2b_hex(file.data(), file.size()) + ".ccv";
        }
    }
    std::optional<CcIdentity> id;
    if (!stamp.empty()) id = parse_identity_record(read_record(dir_fd, stamp, kStampHeader));
    if (!id) {
        auto probed = probe_cc(cc, limits);
        if (!probed.ok()) return probed.error();
        id = std::move(probed.value());
        if (!stamp.empty() && id->include_dirs_known) write_record(dir_fd, stamp, kStampHeader, identity_record(*id));
    }
    std::lock_guard<std::mutex> lock(mu);
    known.emplace(memo, *id);
    return *id;
}

Result<std::string> cache_key(const std::string &bytes, const CompileOptions &opts, int dir_fd) {
    if (sodium_init() < 0) return make_error("cannot initialise libsodium");
    return cache_key_of_module(blake2b_hex(bytes.data(), bytes.size()), opts, dir_fd);
}

Result<std::string> cache_key_of_module(const std::string &module_hash, const CompileOptions &opts, int dir_fd) {
    if (sodium_init() < 0) return make_error("cannot initialise libsodium");
    auto identity = compiler_build_identity();
    if (!identity.ok()) return identity.error();
    const std::string cc = cc_command(opts);
    auto cc_id = cc_identity(cc, dir_fd, compile_limits(opts));
    if (!cc_id.ok()) return cc_id.error();
    Hasher h;
    // 3: .sum = module_checksum_fd; 4: the module by its BLAKE2b (the .wasm
    // index); 5: the SIMDe headers' states, .sum names its key
    h.field("lucet-compile-cache", "5");
    h.field("module-blake2b", module_hash);
    h.field("compiler", compiler_version());
    h.field("compiler-build", identity.value());
    h.field("cc", cc);
    h.field("cc-version", cc_id.value().version);
    h.field("simde", simde_state(cc_id.value()));
    for (const char *name : kCcEnv) {
        const char *v = std::getenv(name);
        h.field(name, v ? std::string("=") + v : std::string());
    }
    h.field("options", code_fingerprint(opts));
    return h.hex();
}

}  // namespace lucet::cache
