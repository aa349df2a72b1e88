// perf_map.cpp: the perf map of a loaded module (/tmp/perf-PID.map lines).
//
// The loader dlopen()s a module from a memfd ("/memfd:lucet-module
// (deleted)" in /proc/PID/maps). perf cannot open that file to read its ELF
// symbols, and it consults /tmp/perf-PID.map ("START SIZE NAME", hex) only
// for anonymous executable memory, as JIT code is. So before writing the
// map, the module's code pages are replaced by an anonymous copy of
// themselves at the same addresses: the copy is made read+execute at a
// scratch address and mremap()ed over the original in one step, so code
// running on another thread always sees the same bytes.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "runtime/internal.h"
#include "util/file_bytes.h"

namespace lucet {

namespace {

// The name on one line of its own: function_name escapes control characters
// (a name section entry holding "\n" would otherwise start a line of its own).
std::string map_name(const DlModule &m, uint32_t func) { return m.function_name(func); }

void append_line(std::string &out, uintptr_t start, uintptr_t size, const std::string &name) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%" PRIxPTR " %" PRIxPTR " ", start, size);
    out += buf;
    out += name;
    out += '\n';
}

// Every mapping that overlaps [lo, hi) is private read+execute (nothing
// else shares the code's pages), from /proc/self/maps.
bool only_code_pages(uintptr_t lo, uintptr_t hi, std::string &why) {
    FILE *f = std::fopen("/proc/self/maps", "re");
    if (!f) {
        why = std::string("cannot read /proc/self/maps: ") + std::strerror(errno);
        return false;
    }
    char line[512];
    bool ok = true;
    while (ok && std::fgets(line, sizeof line, f)) {
        unsigned long a = 0, b = 0;
        char perms[8] = {};
        if (std::sscanf(line, "%lx-%lx %7s", &a, &b, perms) != 3) continue;
        if (b <= lo || a >= hi) continue;
        if (std::strcmp(perms, "r-xp") != 0) {
            ok = false;
            why = "the code's pages are shared with a mapping of permissions " + std::string(perms);
        }
    }
    std::fclose(f);
    return ok;
}

std::string move_code_to_anonymous_memory(uintptr_t code_lo, uintptr_t code_hi) {
    const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    uintptr_t lo = code_lo & ~(page - 1), hi = (code_hi + page - 1) & ~(page - 1);
    if (hi <= lo) return {};
    std::string why;
    if (!only_code_pages(lo, hi, why)) return "cannot move the module's code to anonymous memory: " + why;
    size_t len = hi - lo;
    void *copy = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (copy == MAP_FAILED) return std::string("cannot map a copy of the module's code: ") + std::strerror(errno);
    std::memcpy(copy, reinterpret_cast<const void *>(lo), len);
    if (mprotect(copy, len, PROT_READ | PROT_EXEC) != 0 ||
        mremap(copy, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, reinterpret_cast<void *>(lo)) == MAP_FAILED) {
        int e = errno;
        munmap(copy, len);
        return std::string("cannot move the module's code to anonymous memory: ") + std::strerror(e);
    }
    // mremap tells perf nothing; a change of protection that keeps execute
    // reports the mapping again, now anonymous (the write bit is there for
    // the two calls only: code on other threads keeps running).
    if (mprotect(reinterpret_cast<void *>(lo), len, PROT_READ | PROT_WRITE | PROT_EXEC) != 0 ||
        mprotect(reinterpret_cast<void *>(lo), len, PROT_READ | PROT_EXEC) != 0)
        return std::string("cannot report the module's anonymous code to perf: ") + std::strerror(errno);
    return {};
}

// Once per module; later calls report the first one's outcome.
Status move_code_for_perf(DlModule::Impl &im) {
    std::call_once(im.anon_code_once, [&] { im.anon_code_error = move_code_to_anonymous_memory(im.code_lo, im.code_hi); });
    if (!im.anon_code_error.empty()) return make_error(im.anon_code_error);
    return {};
}

}  // namespace

std::string DlModule::perf_map_text() const {
    const Impl &im = *impl_;
    std::string out;
    if (!im.sym_ranges.empty()) {
        // The exact extents from the symbol table, split-off parts included.
        for (const Impl::SymRange &r : im.sym_ranges)
            if (r.end > r.start) append_line(out, r.start, r.end - r.start, map_name(*this, r.func));
        return out;
    }
    // Stripped: each function runs to the next one's start (the last to the
    // end of the executable segment).
    const auto &map = im.code_map;
    for (size_t k = 0; k < map.size(); k++) {
        uintptr_t start = map[k].first;
        uintptr_t end = k + 1 < map.size() ? map[k + 1].first : im.code_hi;
        if (end > start) append_line(out, start, end - start, map_name(*this, map[k].second));
    }
    return out;
}

Status DlModule::append_perf_map(const std::string &path) const {
    if (auto st = move_code_for_perf(*impl_); !st.ok()) return st;
    std::string text = perf_map_text();
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return make_error("cannot open the perf map " + path + ": " + std::strerror(errno));
    if (int e = write_all(fd, text.data(), text.size())) {
        close(fd);
        return make_error("cannot write the perf map " + path + ": " + std::strerror(e));
    }
    if (close(fd) != 0) return make_error("cannot write the perf map " + path + ": " + std::strerror(errno));
    return {};
}

}  // namespace lucet
