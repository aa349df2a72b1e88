// heap_image.cpp: data segments mapped copy-on-write from the module's .so.
//
// lucetc places every data segment of a page or more with a constant offset
// in the .so at the same offset modulo the page size as in the heap
// (cgen/module_desc.cpp). The dynamic loader has already mapped those bytes
// from the file (the loader's memfd copy of the .so); instantiation maps the
// segment's whole pages once more, MAP_PRIVATE|MAP_FIXED over the heap, from
// the same file: no byte is copied, untouched pages cost nothing and are
// shared by all instances, and a guest write copies only the page it hits,
// privately. The partial first and last pages are copied. Passive segments and memory.init keep
// reading the loader's read-only mapping, which the guest never writes.
//
// A module file nobody but root may write has its data image (lucetc's
// .lucet_image section) mapped from the original file instead of the memfd
// (runtime/module_file.cpp): then the segments are mapped from that file.
//
// Once per module the runtime finds, in /proc/self/maps, the file mapping
// holding each segment (its file offset) and opens that file (the loader's
// memfd, by the /proc/self/fd path dlopen used), keeping the descriptor only
// if it is the very inode the loader mapped (a file replaced since dlopen is
// never used). Anything else is copied as before.
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>

#include "runtime/elf_check.h"
#include "runtime/internal.h"

namespace lucet {

using namespace rt;

namespace {

// One file-backed mapping of this process.
struct FileMap {
    uintptr_t lo, hi;
    uint64_t offset, inode;
    unsigned dev_major, dev_minor;
    std::string path;
};

std::vector<FileMap> file_maps() {
    std::vector<FileMap> maps;
    FILE *f = std::fopen("/proc/self/maps", "re");
    if (!f) return maps;
    char *line = nullptr;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        FileMap m{};
        int path_at = 0;
        if (std::sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %*4s %" SCNx64 " %x:%x %" SCNu64 " %n", &m.lo, &m.hi,
                        &m.offset, &m.dev_major, &m.dev_minor, &m.inode, &path_at) < 6 ||
            m.inode == 0 || path_at == 0 || line[path_at] != '/')
            continue;
        m.path = line + path_at;
        if (!m.path.empty() && m.path.back() == '\n') m.path.pop_back();
        maps.push_back(std::move(m));
    }
    std::free(line);
    std::fclose(f);
    return maps;
}

// Opens `path` if it is the file `m` maps.
int open_mapped(const std::string &path, const FileMap &m) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) return -1;
    if (fstat(fd, &st) != 0 || st.st_ino != m.inode || major(st.st_dev) != m.dev_major ||
        minor(st.st_dev) != m.dev_minor) {
        close(fd);
        return -1;
    }
    return fd;
}

// loaded_from: "/proc/self/fd/N" paths of the files the module was mapped
// from (the original file holding the data image, if the loader mapped it
// from there, and the loader's memfd), tried first; then the path the
// mapping names.
HeapImage build_image(const lucet_module_desc &d, const std::vector<std::string> &loaded_from) {
    HeapImage img;
    bool any = false;
    for (uint32_t s = 0; s < d.num_data; s++) any |= d.data[s].mode == LUCET_SEG_ACTIVE && d.data[s].len >= kPage;
    if (!any) return img;
    std::vector<FileMap> maps = file_maps();
    const FileMap *file = nullptr;
    img.file_off.assign(d.num_data, -1);
    for (uint32_t s = 0; s < d.num_data; s++) {
        const lucet_data_desc &ds = d.data[s];
        if (ds.mode != LUCET_SEG_ACTIVE || ds.len < kPage) continue;
        auto p = reinterpret_cast<uintptr_t>(ds.data);
        for (const FileMap &m : maps) {
            if (p < m.lo || p + ds.len > m.hi) continue;
            // All segments come from the module's own file.
            if (file && (m.inode != file->inode || m.dev_major != file->dev_major || m.dev_minor != file->dev_minor))
                break;
            file = &m;
            img.file_off[s] = static_cast<int64_t>(m.offset + (p - m.lo));
            break;
        }
    }
    if (!file) return {};
    int fd = -1;
    for (const std::string &p : loaded_from)
        if ((fd = open_mapped(p, *file)) >= 0) break;
    if (fd < 0) fd = open_mapped(file->path, *file);
    if (fd < 0) return {};
    img.fd = fd;
    return img;
}

}  // namespace

namespace rt {

const HeapImage &heap_image(const DlModule &m, DlModule::Impl &im) {
    std::call_once(im.image_once, [&] {
        std::vector<std::string> from;
        if (im.file && im.file->image_fd() >= 0) from.push_back("/proc/self/fd/" + std::to_string(im.file->image_fd()));
        if (im.file) from.push_back(im.file->dlopen_path());
        im.image = build_image(m.desc(), from);
    });
    return im.image;
}

Status DataWriter::flush() {
    if (run_hi == run_lo) return {};
    uint64_t len = run_hi - run_lo;
    // Each mapping splits the heap's VMA: few and large ones only, so that
    // many instances of a module with many segments stay far below the
    // kernel's map count limit. The rest is copied.
    if (len < kMinMapped || runs >= kMaxMapped) {
        std::memcpy(heap + run_lo, run_src, len);
        run_lo = run_hi = 0;
        return {};
    }
    runs++;
    void *p = mmap(heap + run_lo, run_hi - run_lo, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, img.fd,
                   static_cast<off_t>(file_lo));
    if (p == MAP_FAILED)
        return make_error("cannot map " + std::to_string(run_hi - run_lo) + " bytes of data segments from the module file: " +
                          std::strerror(errno));
    if (mapped_end) *mapped_end = std::max(*mapped_end, run_hi);
    run_lo = run_hi = 0;
    return {};
}

Status DataWriter::write(uint32_t s, const lucet_data_desc &ds, uint64_t off) {
    uint64_t len = ds.len;
    int64_t foff = img.fd >= 0 && s < img.file_off.size() ? img.file_off[s] : -1;
    // Mappable when the heap offset and the file offset agree modulo the
    // page size (always so for what lucetc emits; a non-constant offset may
    // happen to agree). The pending run of mapped pages is flushed before
    // any copy, which may overlap it: segments apply in order.
    if (!mapped_end || foff < 0 || (off - static_cast<uint64_t>(foff)) % kPage != 0) {
        LUCET_TRY(flush());
        if (len) std::memcpy(heap + off, ds.data, len);
        return {};
    }
    uint64_t head = std::min(len, (kPage - off % kPage) % kPage);
    uint64_t mid = (len - head) / kPage * kPage;
    if (head) {
        LUCET_TRY(flush());
        std::memcpy(heap + off, ds.data, head);
    }
    if (mid) {
        uint64_t lo = off + head, flo = static_cast<uint64_t>(foff) + head;
        // Segments adjacent in the heap and in the file: one mmap.
        if (run_hi == run_lo || run_hi != lo || file_lo + (run_hi - run_lo) != flo ||
            run_src + (run_hi - run_lo) != ds.data + head) {
            LUCET_TRY(flush());
            run_lo = lo;
            file_lo = flo;
            run_src = ds.data + head;
        }
        run_hi = lo + mid;
    }
    if (len > head + mid) {
        LUCET_TRY(flush());
        std::memcpy(heap + off + head + mid, ds.data + head + mid, len - head - mid);
    }
    return {};
}

void reset_heap(uint8_t *heap, uint64_t touched, uint64_t image_len) {
    // One mmap replaces whatever is there (anonymous or file pages) by
    // fresh PROT_NONE zero pages: cheaper than mprotect + madvise, and
    // madvise alone would bring a file mapping's contents back.
    uint64_t len = std::max(round_up(touched, kPage), image_len);
    if (len) mmap(heap, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

}  // namespace rt

}  // namespace lucet
