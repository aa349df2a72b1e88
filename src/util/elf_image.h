// elf_image.h: where a module file's data image lies (the section
// .lucet_image that lucetc lays out page-aligned, cgen/module_desc.cpp). Read
// by the loader (runtime/module_file.cpp: the image is mapped from the file,
// not copied) and by the compile cache (compiler/compile_cache.cpp: an
// entry's checksum covers everything but the image, so a cache hit does not
// read the data).
#pragma once

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace lucet {

// File offsets [lo, hi) of a module's data image; {0, 0}: none.
struct ImageRange {
    uint64_t lo = 0, hi = 0;
};

// The file range of the section .lucet_image if it is whole pages inside the
// file of `size` bytes; {0, 0} otherwise. read_at(buf, len, off) reads the
// file, bounds checked. Section headers are advisory: callers that map the
// image check the range again against what they load (module.cpp: it must lie
// in a read-only segment).
template <class ReadAt>
ImageRange find_image_section(const ReadAt &read_at, uint64_t size) {
    constexpr uint64_t kPage = 4096;
    Elf64_Ehdr eh;
    if (!read_at(&eh, sizeof eh, 0) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 ||
        eh.e_shnum > 4096 || eh.e_shstrndx >= eh.e_shnum)
        return {};
    std::vector<Elf64_Shdr> sh(eh.e_shnum);
    if (!read_at(sh.data(), sh.size() * sizeof(Elf64_Shdr), eh.e_shoff)) return {};
    const Elf64_Shdr &strs = sh[eh.e_shstrndx];
    static const char kName[] = ".lucet_image";
    for (const Elf64_Shdr &s : sh) {
        char name[sizeof kName] = {};
        if (s.sh_name > strs.sh_size || strs.sh_size - s.sh_name < sizeof kName) continue;
        if (!read_at(name, sizeof kName, strs.sh_offset + s.sh_name) || std::memcmp(name, kName, sizeof kName) != 0)
            continue;
        if (s.sh_type != SHT_PROGBITS || s.sh_offset % kPage || s.sh_size % kPage || s.sh_size == 0 ||
            s.sh_offset > size || s.sh_size > size - s.sh_offset)
            return {};
        return {s.sh_offset, s.sh_offset + s.sh_size};
    }
    return {};
}

}  // namespace lucet
