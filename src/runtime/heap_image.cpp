// heap_image.cpp: copy-on-write initial heaps. A module whose data segments
// are all active with constant offsets into its own (defined) memory gets,
// once, a memfd holding the initial contents of the heap pages they cover.
// Instantiation then maps that file MAP_PRIVATE|MAP_FIXED over the start of
// the slot's heap: one mmap instead of copying every byte, the page cache
// copy is shared by all instances, and a page is copied only when a guest
// writes to it. Small images are not worth a mapping (and its undoing at
// release): below kMinImage (one page of data in all) the segments are copied as before.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/internal.h"

namespace lucet {

using namespace rt;

namespace {

constexpr uint64_t kMinImage = 4 << 10;

// The image of `d`, or a no-image when the segments do not qualify.
HeapImage build_image(const lucet_module_desc &d) {
    HeapImage img;
    if (d.num_memories != 1 || d.num_imported_memories != 0 || d.num_data == 0) return img;
    uint64_t mem_bytes = d.memories[0].min * kWasmPage;
    uint64_t end = 0, total = 0;
    for (uint32_t s = 0; s < d.num_data; s++) {
        const lucet_data_desc &ds = d.data[s];
        if (ds.mode != LUCET_SEG_ACTIVE || ds.memory != 0 || ds.offset.kind != LUCET_INIT_CONST) return img;
        uint64_t off = ds.offset.value & 0xffffffffu;
        // Out of bounds: instantiation must fail the spec's way (copy path).
        if (off + ds.len > mem_bytes) return img;
        if (ds.len) end = std::max(end, off + ds.len);
        total += ds.len;
    }
    if (total < kMinImage) return img;
    uint64_t len = round_up(end, kPage);
    int fd = memfd_create("lucet-heap-image", MFD_CLOEXEC);
    if (fd < 0) return img;
    if (ftruncate(fd, static_cast<off_t>(len)) != 0) {
        close(fd);
        return img;
    }
    // Segments in order: a later one overwrites an earlier overlap, as the
    // copies would.
    for (uint32_t s = 0; s < d.num_data; s++) {
        const lucet_data_desc &ds = d.data[s];
        uint64_t off = ds.offset.value & 0xffffffffu, done = 0;
        while (done < ds.len) {
            ssize_t n = pwrite(fd, ds.data + done, ds.len - done, static_cast<off_t>(off + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                close(fd);
                return img;
            }
            done += static_cast<uint64_t>(n);
        }
    }
    img.fd = fd;
    img.len = len;
    return img;
}

}  // namespace

namespace rt {

const HeapImage &heap_image(const DlModule &m, DlModule::Impl &im) {
    std::call_once(im.image_once, [&] { im.image = build_image(m.desc()); });
    return im.image;
}

void reset_heap(uint8_t *heap, uint64_t touched, uint64_t image_len) {
    // One mmap replaces whatever is there (anonymous or image pages) by
    // fresh PROT_NONE zero pages: cheaper than mprotect + madvise, and
    // madvise alone would bring an image's file contents back.
    uint64_t len = std::max(round_up(touched, kPage), image_len);
    if (len) mmap(heap, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

}  // namespace rt

}  // namespace lucet
