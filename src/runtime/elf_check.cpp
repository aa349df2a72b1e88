// elf_check.cpp: check_module_elf (see elf_check.h). The file is untrusted:
// every read goes through File::read, which checks the range; every address
// the dynamic loader would follow (dynamic section, symbol, string, hash and
// relocation tables) is translated through the PT_LOAD segments exactly as
// the loader maps them, and must lie in the file-backed part of one segment.
#include <elf.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>
#include <vector>

#include "runtime/elf_check.h"

namespace lucet::rt {

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint16_t kMaxPhdrs = 64;
constexpr const char *kExportedSymbol = "lucet_module";

std::string hex(uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}

struct File {
    std::span<const uint8_t> bytes;

    bool in_range(uint64_t off, uint64_t len) const { return off <= bytes.size() && len <= bytes.size() - off; }
    template <class T>
    bool read(uint64_t off, T &out) const {
        if (!in_range(off, sizeof(T))) return false;
        std::memcpy(&out, bytes.data() + off, sizeof(T));
        return true;
    }
};

// One PT_LOAD segment as the loader maps it.
struct Segment {
    uint64_t vaddr, memsz, offset, filesz;
    uint32_t flags;
};

const char *dyn_tag_name(int64_t tag) {
    switch (tag) {
    case DT_NEEDED: return "DT_NEEDED";
    case DT_INIT: return "DT_INIT";
    case DT_FINI: return "DT_FINI";
    case DT_INIT_ARRAY: return "DT_INIT_ARRAY";
    case DT_INIT_ARRAYSZ: return "DT_INIT_ARRAYSZ";
    case DT_FINI_ARRAY: return "DT_FINI_ARRAY";
    case DT_FINI_ARRAYSZ: return "DT_FINI_ARRAYSZ";
    case DT_PREINIT_ARRAY: return "DT_PREINIT_ARRAY";
    case DT_PREINIT_ARRAYSZ: return "DT_PREINIT_ARRAYSZ";
    case DT_AUXILIARY: return "DT_AUXILIARY";
    case DT_FILTER: return "DT_FILTER";
    case DT_RPATH: return "DT_RPATH";
    case DT_RUNPATH: return "DT_RUNPATH";
    case DT_TEXTREL: return "DT_TEXTREL";
    case DT_VERNEED: return "DT_VERNEED";
    case DT_AUDIT: return "DT_AUDIT";
    case DT_DEPAUDIT: return "DT_DEPAUDIT";
    default: return nullptr;
    }
}

// Why a dynamic tag is refused, most dangerous first (the first one found in
// this order is reported). Tags not listed here and not in kHarmlessTags
// are refused as unexpected.
struct RefusedTag {
    int64_t tag;
    const char *why;
};
constexpr RefusedTag kRefusedTags[] = {
    {DT_PREINIT_ARRAY, "initializers would run at dlopen"},
    {DT_PREINIT_ARRAYSZ, "initializers would run at dlopen"},
    {DT_INIT_ARRAY, "constructors would run at dlopen"},
    {DT_INIT_ARRAYSZ, "constructors would run at dlopen"},
    {DT_INIT, "an initializer would run at dlopen"},
    {DT_FINI_ARRAY, "destructors would run at dlclose"},
    {DT_FINI_ARRAYSZ, "destructors would run at dlclose"},
    {DT_FINI, "a finalizer would run at dlclose"},
    {DT_NEEDED, "would load another library, and run its initializers"},
    {DT_AUXILIARY, "would load another library"},
    {DT_FILTER, "would load another library"},
    {DT_AUDIT, "would load an audit library"},
    {DT_DEPAUDIT, "would load an audit library"},
    {DT_VERNEED, "needs symbol versions of another library"},
    {DT_RPATH, "library search path: lucetc modules load no libraries"},
    {DT_RUNPATH, "library search path: lucetc modules load no libraries"},
    {DT_TEXTREL, "text relocations would make code writable"},
};

// What a -nostdlib link (gcc or clang, ld or lld) writes, and nothing the
// loader would follow without the checks below (no symbol versions, no
// soname: their tables would be read unchecked).
constexpr int64_t kHarmlessTags[] = {
    DT_NULL,   DT_HASH,    DT_GNU_HASH,  DT_STRTAB, DT_SYMTAB,  DT_STRSZ,    DT_SYMENT, DT_RELA,  DT_RELASZ,
    DT_RELAENT, DT_RELACOUNT, DT_FLAGS, DT_FLAGS_1, DT_BIND_NOW, DT_PLTGOT, DT_PLTRELSZ, DT_PLTREL, DT_JMPREL,
};

class Checker {
public:
    Checker(const std::string &name, std::span<const uint8_t> bytes) : name_(name), f_{bytes} {}

    Status run() {
        LUCET_TRY(header());
        LUCET_TRY(program_headers());
        LUCET_TRY(dynamic());
        LUCET_TRY(relocations(dt(DT_RELA), dt(DT_RELASZ), "DT_RELA"));
        if (dt(DT_JMPREL) || dt(DT_PLTRELSZ)) {
            if (dt(DT_PLTREL) != DT_RELA) return refuse("DT_PLTREL is not DT_RELA");
            LUCET_TRY(relocations(dt(DT_JMPREL), dt(DT_PLTRELSZ), "DT_JMPREL"));
        }
        LUCET_TRY(exported_symbols());
        return tables_not_relocated();
    }

private:
    const std::string &name_;
    File f_;
    Elf64_Ehdr eh_{};
    std::vector<Segment> loads_;
    std::map<int64_t, uint64_t> dyn_;  // tag -> value (singletons only)
    std::vector<uint64_t> needed_;     // DT_NEEDED string offsets
    uint64_t syms_needed_ = 1;         // symbol table entries that must be readable

    Error refuse(const std::string &why) const {
        return make_error(name_ + ": refusing to load: " + why, ErrorKind::Module);
    }
    uint64_t dt(int64_t tag) const {
        auto it = dyn_.find(tag);
        return it == dyn_.end() ? 0 : it->second;
    }

    Status header() {
        if (!f_.read(0, eh_)) return refuse("not an ELF file (" + std::to_string(f_.bytes.size()) + " bytes)");
        if (std::memcmp(eh_.e_ident, ELFMAG, SELFMAG) != 0) return refuse("not an ELF file (bad magic number)");
        if (eh_.e_ident[EI_CLASS] != ELFCLASS64) return refuse("not a 64-bit ELF file");
        if (eh_.e_ident[EI_DATA] != ELFDATA2LSB) return refuse("not a little-endian ELF file");
        if (eh_.e_ident[EI_VERSION] != EV_CURRENT || eh_.e_version != EV_CURRENT)
            return refuse("unknown ELF version");
        if (eh_.e_ident[EI_OSABI] != ELFOSABI_SYSV && eh_.e_ident[EI_OSABI] != ELFOSABI_GNU)
            return refuse("unexpected ELF OS ABI " + std::to_string(eh_.e_ident[EI_OSABI]));
        if (eh_.e_type != ET_DYN) return refuse("not a shared object (ELF type " + std::to_string(eh_.e_type) + ")");
        if (eh_.e_machine != EM_X86_64) return refuse("not an x86-64 object (machine " + std::to_string(eh_.e_machine) + ")");
        if (eh_.e_phentsize != sizeof(Elf64_Phdr)) return refuse("bad program header size");
        if (eh_.e_phnum == 0 || eh_.e_phnum > kMaxPhdrs)
            return refuse(std::to_string(eh_.e_phnum) + " program headers (expected 1 to " + std::to_string(kMaxPhdrs) + ")");
        if (!f_.in_range(eh_.e_phoff, uint64_t(eh_.e_phnum) * sizeof(Elf64_Phdr)))
            return refuse("program headers beyond the end of the file");
        return {};
    }

    Status program_headers() {
        int dynamic = 0, stack = 0;
        uint64_t dyn_vaddr = 0, dyn_size = 0;
        for (uint16_t i = 0; i < eh_.e_phnum; i++) {
            Elf64_Phdr ph;
            f_.read(eh_.e_phoff + uint64_t(i) * sizeof ph, ph);  // in range: checked by header()
            switch (ph.p_type) {
            case PT_LOAD: {
                if (ph.p_filesz > ph.p_memsz) return refuse("a PT_LOAD segment has more file than memory bytes");
                if (!f_.in_range(ph.p_offset, ph.p_filesz)) return refuse("a PT_LOAD segment lies beyond the end of the file");
                if (ph.p_memsz > (uint64_t(1) << 40) || ph.p_vaddr > (uint64_t(1) << 46))
                    return refuse("a PT_LOAD segment is too large or too far");
                if ((ph.p_flags & PF_W) && (ph.p_flags & PF_X)) return refuse("a segment is writable and executable");
                if ((ph.p_vaddr - ph.p_offset) % kPage != 0)
                    return refuse("a PT_LOAD segment's address and file offset disagree modulo the page size");
                // The loader maps whole pages in order: a segment starting in
                // the last page of the previous one would replace its bytes.
                if (!loads_.empty()) {
                    const Segment &prev = loads_.back();
                    uint64_t prev_end = (prev.vaddr + prev.memsz + kPage - 1) & ~(kPage - 1);
                    if ((ph.p_vaddr & ~(kPage - 1)) < prev_end)
                        return refuse("PT_LOAD segments overlap or are out of order");
                }
                loads_.push_back({ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz, ph.p_flags});
                break;
            }
            case PT_DYNAMIC:
                dynamic++;
                dyn_vaddr = ph.p_vaddr;
                dyn_size = ph.p_memsz;
                break;
            case PT_GNU_STACK:
                stack++;
                if (ph.p_flags & PF_X) return refuse("executable stack requested (PT_GNU_STACK has PF_X)");
                break;
            case PT_NOTE: case PT_GNU_EH_FRAME: case PT_GNU_RELRO: case PT_GNU_PROPERTY: case PT_NULL: break;
            case PT_INTERP: return refuse("PT_INTERP present (a program, not a module)");
            case PT_TLS: return refuse("PT_TLS present (thread-local storage)");
            default: return refuse("unexpected program header type " + hex(ph.p_type));
            }
        }
        if (loads_.empty()) return refuse("no PT_LOAD segment");
        if (stack != 1)
            return refuse(stack ? "several PT_GNU_STACK headers" : "no PT_GNU_STACK header (the stack would be executable)");
        if (dynamic != 1) return refuse(dynamic ? "several PT_DYNAMIC headers" : "no PT_DYNAMIC header");
        // Read from where the loader finds it: the address, not p_offset.
        auto off = file_range(dyn_vaddr, dyn_size);
        if (!off) return refuse("the dynamic section is not in the file-backed part of a PT_LOAD segment");
        dyn_off_ = *off;
        dyn_size_ = dyn_size;
        dyn_vaddr_ = dyn_vaddr;
        return {};
    }

    uint64_t dyn_off_ = 0, dyn_size_ = 0, dyn_vaddr_ = 0;
    std::vector<uint64_t> reloc_targets_;  // r_offset of every relocation
    uint64_t nsyms_ = 0, gnu_hash_size_ = 0;

    // The loader reads the dynamic section, symbol, string, hash and
    // relocation tables while it relocates: a relocation that writes into one
    // of them would change, after this check, what it binds or runs (e.g. a
    // symbol turned into an IFUNC, DT_SYMTAB pointed at an unchecked table).
    Status tables_not_relocated() const {
        struct Table {
            uint64_t at, len;
            const char *what;
        };
        uint32_t hash_hdr[2] = {0, 0};
        if (auto off = file_range(dt(DT_HASH), sizeof hash_hdr); off && dt(DT_HASH)) f_.read(*off, hash_hdr);
        const Table tables[] = {
            {dyn_vaddr_, dyn_size_, "the dynamic section"},
            {dt(DT_SYMTAB), nsyms_ * sizeof(Elf64_Sym), "the symbol table"},
            {dt(DT_STRTAB), dt(DT_STRSZ), "the string table"},
            {dt(DT_RELA), dt(DT_RELASZ), "the relocation table"},
            {dt(DT_JMPREL), dt(DT_PLTRELSZ), "the PLT relocation table"},
            {dt(DT_HASH), dt(DT_HASH) ? (2 + uint64_t(hash_hdr[0]) + hash_hdr[1]) * 4 : 0, "the hash table"},
            {dt(DT_GNU_HASH), gnu_hash_size_, "the GNU hash table"},
        };
        for (uint64_t t : reloc_targets_)
            for (const Table &tb : tables)
                if (tb.len && t < tb.at + tb.len && t + 8 > tb.at)
                    return refuse("a relocation writes into " + std::string(tb.what) + " (at " + hex(t) + ")");
        return {};
    }

    // File offset of [vaddr, vaddr+len) if it lies in the file-backed part of one PT_LOAD segment.
    std::optional<uint64_t> file_range(uint64_t vaddr, uint64_t len) const {
        for (const Segment &s : loads_) {
            if (vaddr < s.vaddr || vaddr - s.vaddr > s.filesz || len > s.filesz - (vaddr - s.vaddr)) continue;
            return s.offset + (vaddr - s.vaddr);
        }
        return std::nullopt;
    }
    bool in_writable_memory(uint64_t vaddr, uint64_t len) const {
        for (const Segment &s : loads_)
            if ((s.flags & PF_W) && vaddr >= s.vaddr && vaddr - s.vaddr <= s.memsz && len <= s.memsz - (vaddr - s.vaddr))
                return true;
        return false;
    }

    Status dynamic() {
        bool ended = false;
        std::vector<int64_t> present;
        for (uint64_t at = 0; at + sizeof(Elf64_Dyn) <= dyn_size_; at += sizeof(Elf64_Dyn)) {
            Elf64_Dyn d;
            f_.read(dyn_off_ + at, d);  // in range: file_range checked the whole section
            if (d.d_tag == DT_NULL) {
                ended = true;
                break;
            }
            present.push_back(d.d_tag);
            if (d.d_tag == DT_NEEDED) {
                needed_.push_back(d.d_un.d_val);
                continue;
            }
            if (!dyn_.emplace(d.d_tag, d.d_un.d_val).second) {
                const char *n = dyn_tag_name(d.d_tag);
                return refuse("dynamic tag " + (n ? std::string(n) : hex(uint64_t(d.d_tag))) + " appears twice");
            }
        }
        if (!ended) return refuse("the dynamic section has no DT_NULL end");
        strtab_ = file_range(dt(DT_STRTAB), dt(DT_STRSZ));  // names for the messages below
        for (const RefusedTag &r : kRefusedTags) {
            if (std::find(present.begin(), present.end(), r.tag) == present.end()) continue;
            std::string what = dyn_tag_name(r.tag);
            if (r.tag == DT_NEEDED) what += " " + needed_name();
            return refuse(what + " present (" + r.why + ")");
        }
        for (int64_t t : present)
            if (std::find(std::begin(kHarmlessTags), std::end(kHarmlessTags), t) == std::end(kHarmlessTags))
                return refuse("unexpected dynamic tag " + hex(uint64_t(t)));
        if (dt(DT_FLAGS) & (DF_TEXTREL | DF_STATIC_TLS)) return refuse("DT_FLAGS asks for text relocations or static TLS");
        if (!dt(DT_STRTAB) || !dt(DT_SYMTAB)) return refuse("no dynamic symbol or string table");
        // The loader may write the first GOT entries (lazy binding set-up).
        if (dyn_.count(DT_PLTGOT) && !in_writable_memory(dt(DT_PLTGOT), 24))
            return refuse("DT_PLTGOT is not in a writable segment");
        if (dyn_.count(DT_SYMENT) && dt(DT_SYMENT) != sizeof(Elf64_Sym)) return refuse("bad DT_SYMENT");
        if (dyn_.count(DT_RELAENT) && dt(DT_RELAENT) != sizeof(Elf64_Rela)) return refuse("bad DT_RELAENT");
        if (!strtab_ || dt(DT_STRSZ) == 0) return refuse("the dynamic string table is not in the file");
        return {};
    }

    std::optional<uint64_t> strtab_;

    // Name at offset `off` of the dynamic string table, or nullopt.
    std::optional<std::string> str(uint64_t off) const {
        uint64_t size = dt(DT_STRSZ);
        if (!strtab_ || off >= size) return std::nullopt;
        const char *p = reinterpret_cast<const char *>(f_.bytes.data() + *strtab_ + off);
        const void *nul = std::memchr(p, 0, size - off);
        if (!nul) return std::nullopt;
        return std::string(p, static_cast<const char *>(nul));
    }
    std::string needed_name() const {
        auto s = needed_.empty() ? std::nullopt : str(needed_.front());
        return s ? *s : "(unnamed)";
    }

    Status symbol(uint64_t index, Elf64_Sym &out) const {
        if (index > (uint64_t(1) << 32)) return refuse("symbol index " + std::to_string(index) + " out of range");
        auto off = file_range(dt(DT_SYMTAB) + index * sizeof(Elf64_Sym), sizeof(Elf64_Sym));
        if (!off) return refuse("symbol " + std::to_string(index) + " is not in the file");
        f_.read(*off, out);  // in range: file_range
        if (ELF64_ST_TYPE(out.st_info) == STT_GNU_IFUNC)
            return refuse("IFUNC symbol " + std::to_string(index) + " (its resolver would run at dlopen)");
        if (ELF64_ST_TYPE(out.st_info) == STT_TLS) return refuse("thread-local symbol " + std::to_string(index));
        return {};
    }

    Status relocations(uint64_t vaddr, uint64_t size, const char *what) {
        if (!vaddr && !size) return {};
        if (size % sizeof(Elf64_Rela) != 0) return refuse(std::string(what) + " size is not a multiple of the entry size");
        auto off = file_range(vaddr, size);
        if (!off) return refuse(std::string(what) + " relocations are not in the file");
        for (uint64_t at = 0; at < size; at += sizeof(Elf64_Rela)) {
            Elf64_Rela r;
            f_.read(*off + at, r);
            uint32_t type = ELF64_R_TYPE(r.r_info);
            uint64_t sym = ELF64_R_SYM(r.r_info);
            switch (type) {
            case R_X86_64_NONE: continue;
            case R_X86_64_RELATIVE: case R_X86_64_64: case R_X86_64_GLOB_DAT: case R_X86_64_JUMP_SLOT: break;
            case R_X86_64_IRELATIVE:
                return refuse("R_X86_64_IRELATIVE relocation (an IFUNC resolver would run at dlopen)");
            default: return refuse("unexpected relocation type " + std::to_string(type));
            }
            // The loader writes 8 bytes there: only into writable memory of
            // the module itself (a bad address would crash the host in dlopen).
            if (!in_writable_memory(r.r_offset, 8))
                return refuse("a relocation writes outside the module's writable segments (at " + hex(r.r_offset) + ")");
            reloc_targets_.push_back(r.r_offset);
            if (type == R_X86_64_RELATIVE) continue;
            Elf64_Sym s;
            LUCET_TRY(symbol(sym, s));
            if (s.st_shndx == SHN_UNDEF) {
                auto n = str(s.st_name);
                return refuse("undefined symbol '" + (n ? *n : std::to_string(sym)) +
                              "' (it would bind to code outside the module)");
            }
            syms_needed_ = std::max(syms_needed_, sym + 1);
        }
        return {};
    }

    // Number of symbols reachable through the hash table(s), i.e. by dlsym.
    Result<uint64_t> hashed_symbols() {
        uint64_t count = 0;
        // dlsym divides by the bucket count and masks with the bloom size:
        // both must be sane, and every table inside the file.
        if (dt(DT_HASH)) {
            uint32_t hdr[2];  // nbucket, nchain
            auto off = file_range(dt(DT_HASH), sizeof hdr);
            if (!off) return refuse("DT_HASH is not in the file");
            f_.read(*off, hdr);
            if (hdr[0] == 0 || !file_range(dt(DT_HASH), sizeof hdr + (uint64_t(hdr[0]) + hdr[1]) * 4))
                return refuse("bad DT_HASH table");
            count = hdr[1];  // nchain = number of symbols
        }
        if (dt(DT_GNU_HASH)) {
            uint32_t hdr[4];  // nbuckets, symoffset, bloom words, bloom shift
            auto off = file_range(dt(DT_GNU_HASH), sizeof hdr);
            if (!off) return refuse("DT_GNU_HASH is not in the file");
            f_.read(*off, hdr);
            if (hdr[0] == 0 || hdr[2] == 0 || (hdr[2] & (hdr[2] - 1)) != 0 ||
                !file_range(dt(DT_GNU_HASH) + sizeof hdr, uint64_t(hdr[2]) * 8))
                return refuse("bad DT_GNU_HASH table (bucket count, bloom filter)");
            uint64_t buckets_at = dt(DT_GNU_HASH) + sizeof hdr + uint64_t(hdr[2]) * 8;
            auto boff = file_range(buckets_at, uint64_t(hdr[0]) * 4);
            if (!boff) return refuse("the GNU hash buckets are not in the file");
            uint64_t chains_at = buckets_at + uint64_t(hdr[0]) * 4;
            gnu_hash_size_ = chains_at - dt(DT_GNU_HASH);
            // Symbols are sorted by bucket and a chain runs to its end marker
            // (bit 0): the last symbol ends the chain of the highest bucket
            // start. One walk, linear in the file size.
            uint64_t start = 0;
            for (uint32_t b = 0; b < hdr[0]; b++) {
                uint32_t idx = 0;
                f_.read(*boff + uint64_t(b) * 4, idx);
                if (idx != 0 && idx < hdr[1]) return refuse("a GNU hash bucket points below its symbol offset");
                start = std::max<uint64_t>(start, idx);
            }
            for (uint64_t i = start; start != 0; i++) {
                uint32_t h = 0;
                auto coff = file_range(chains_at + (i - hdr[1]) * 4, 4);
                if (!coff) return refuse("a GNU hash chain runs out of the file");
                f_.read(*coff, h);
                count = std::max(count, i + 1);
                gnu_hash_size_ = chains_at + (i - hdr[1]) * 4 + 4 - dt(DT_GNU_HASH);
                if (h & 1) break;
            }
        }
        if (!dt(DT_HASH) && !dt(DT_GNU_HASH)) return refuse("no symbol hash table (DT_HASH or DT_GNU_HASH)");
        return count;
    }

    Status exported_symbols() {
        auto hashed = hashed_symbols();
        if (!hashed) return hashed.error();
        uint64_t n = std::max(*hashed, syms_needed_);
        if (n > f_.bytes.size() / sizeof(Elf64_Sym) + 1) return refuse("more symbols than the file can hold");
        nsyms_ = n;
        bool found = false;
        for (uint64_t i = 1; i < n; i++) {
            Elf64_Sym s;
            LUCET_TRY(symbol(i, s));
            auto name = str(s.st_name);
            if (!name) return refuse("symbol " + std::to_string(i) + " has a bad name");
            if (s.st_shndx == SHN_UNDEF)
                return refuse("undefined symbol '" + *name + "' (it would bind to code outside the module)");
            unsigned bind = ELF64_ST_BIND(s.st_info);
            if (bind == STB_LOCAL || ELF64_ST_VISIBILITY(s.st_other) == STV_HIDDEN ||
                ELF64_ST_VISIBILITY(s.st_other) == STV_INTERNAL)
                continue;
            if (*name != kExportedSymbol)
                return refuse("exports symbol '" + *name + "' (a lucetc module exports only " + kExportedSymbol + ")");
            if (ELF64_ST_TYPE(s.st_info) != STT_OBJECT || bind != STB_GLOBAL)
                return refuse(std::string(kExportedSymbol) + " is not a global data object");
            found = true;
        }
        if (!found) return refuse(std::string("no exported ") + kExportedSymbol + " (not a lucetc module)");
        return {};
    }
};

}  // namespace

Status check_module_elf(const std::string &name, std::span<const uint8_t> bytes) {
    return Checker(name, bytes).run();
}

}  // namespace lucet::rt
