// perf_map.cpp: the perf map of a loaded module (/tmp/perf-PID.map lines).
//
// The loader dlopen()s a module from a memfd ("/memfd:lucet-module
// (deleted)" in /proc/PID/maps), a mapping perf treats like JIT code: it
// cannot read the ELF symbols there and looks the addresses up in
// /tmp/perf-PID.map instead ("START SIZE NAME", START and SIZE in hex).
#include <fcntl.h>
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

// The name on one line of its own: no control characters (a name section
// entry holding "\n" would otherwise start a line of its own).
std::string map_name(const DlModule &m, uint32_t func) {
    std::string s = m.function_name(func);
    for (char &c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return s;
}

void append_line(std::string &out, uintptr_t start, uintptr_t size, const std::string &name) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%" PRIxPTR " %" PRIxPTR " ", start, size);
    out += buf;
    out += name;
    out += '\n';
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
