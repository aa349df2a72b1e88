// module.cpp: loading module .so files (DlModule), canonical signature ids
// and the registry of loaded code ranges the fault handler consults.
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <link.h>

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <map>

#include "runtime/elf_check.h"
#include "runtime/internal.h"
#include "util/cpu_features.h"
#include "util/escape.h"
#include "util/size.h"

namespace lucet {

namespace rt {

// ------------------------------------------------------------ code ranges

namespace {
constexpr int kMaxCodeRanges = 1024;
CodeRange g_code_ranges[kMaxCodeRanges];
std::mutex g_code_ranges_mu;  // serialises writers only
}  // namespace

int register_code_range(uintptr_t start, uintptr_t end, const DlModule *m) {
    std::lock_guard<std::mutex> lock(g_code_ranges_mu);
    for (int i = 0; i < kMaxCodeRanges; i++) {
        CodeRange &r = g_code_ranges[i];
        if (r.end.load(std::memory_order_relaxed) != 0) continue;
        r.start.store(start, std::memory_order_relaxed);
        r.module.store(m, std::memory_order_relaxed);
        r.end.store(end, std::memory_order_release);
        return i;
    }
    return -1;
}

void unregister_code_range(int index) {
    if (index < 0 || index >= kMaxCodeRanges) return;
    std::lock_guard<std::mutex> lock(g_code_ranges_mu);
    g_code_ranges[index].end.store(0, std::memory_order_release);
    g_code_ranges[index].module.store(nullptr, std::memory_order_relaxed);
}

const DlModule *module_at_pc(uintptr_t pc) {
    for (int i = 0; i < kMaxCodeRanges; i++) {
        const CodeRange &r = g_code_ranges[i];
        uintptr_t end = r.end.load(std::memory_order_acquire);
        if (end == 0) continue;
        if (pc >= r.start.load(std::memory_order_relaxed) && pc < end)
            return r.module.load(std::memory_order_relaxed);
    }
    return nullptr;
}

// ------------------------------------------------------------ names

std::string describe_functype(const FuncType &t) {
    std::string s = "(";
    for (size_t i = 0; i < t.params.size(); i++) s += (i ? ", " : "") + std::string(valtype_name(t.params[i]));
    s += ") -> (";
    for (size_t i = 0; i < t.results.size(); i++) s += (i ? ", " : "") + std::string(valtype_name(t.results[i]));
    return s + ")";
}

}  // namespace rt

// ------------------------------------------------------------ signature ids

uint64_t signature_id(const FuncType &t) {
    if (uint64_t id = packed_signature_id(t)) return id;
    // Long (or v128) signatures: a process-wide registry, so every module
    // loaded into this process agrees on the id. Never destroyed: another
    // thread may load a module while the process exits.
    static std::mutex mu;
    static auto &registry = *new std::map<std::string, uint64_t>;
    std::string key;
    for (ValType v : t.params) key += static_cast<char>(v);
    key += '|';
    for (ValType v : t.results) key += static_cast<char>(v);
    std::lock_guard<std::mutex> lock(mu);
    auto [it, inserted] = registry.try_emplace(key, 0);
    if (inserted) it->second = LUCET_SIG_REGISTRY_BIT | registry.size();
    return it->second;
}

// ------------------------------------------------------------ traps

const char *trapcode_name(lucet_trapcode c) {
    switch (c) {
    case LUCET_TRAP_NONE: return "no trap";
    case LUCET_TRAP_HEAP_OOB: return "out of bounds memory access";
    case LUCET_TRAP_STACK_OVERFLOW: return "call stack exhausted";
    case LUCET_TRAP_INT_DIV_BY_ZERO: return "integer divide by zero";
    case LUCET_TRAP_INT_OVERFLOW: return "integer overflow";
    case LUCET_TRAP_BAD_CONVERSION: return "invalid conversion to integer";
    case LUCET_TRAP_UNREACHABLE: return "unreachable";
    case LUCET_TRAP_INDIRECT_CALL_NULL: return "uninitialized element";
    case LUCET_TRAP_BAD_SIGNATURE: return "indirect call type mismatch";
    case LUCET_TRAP_TABLE_OOB: return "undefined element";
    case LUCET_TRAP_INTERRUPTED: return "interrupted";
    default: return "unknown trap";
    }
}

std::string TrapInfo::to_string() const {
    std::string s = message();
    char buf[64];
    if (heap_offset >= 0) {
        std::snprintf(buf, sizeof buf, " at wasm address 0x%" PRIx64, static_cast<uint64_t>(heap_offset));
        s += buf;
    } else if (fault_addr) {
        std::snprintf(buf, sizeof buf, " (fault address 0x%" PRIxPTR ")", fault_addr);
        s += buf;
    }
    if (!function.empty()) s += " in " + function;
    else if (pc) {
        std::snprintf(buf, sizeof buf, " at pc 0x%" PRIxPTR, pc);
        s += buf;
    }
    return s;
}

// ------------------------------------------------------------ DlModule

namespace {

struct PhdrSearch {
    uintptr_t base = 0;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    struct Seg {
        uintptr_t lo, hi;
        bool writable;
    };
    std::vector<Seg> loads;  // every PT_LOAD segment of the object, as mapped
    std::vector<Seg> relro;  // PT_GNU_RELRO: read-only once relocated
    struct FileSeg {
        uintptr_t addr;
        uint64_t offset, filesz;
        uint32_t flags;
    };
    std::vector<FileSeg> file_segs;  // every PT_LOAD: where its file bytes are mapped
    uintptr_t hole_lo = 0, hole_hi = 0;  // the data image mapped from the original file

    // [p, p+len) lies in one of the object's segments (a writable one, and
    // outside its RELRO part, if asked), and outside the data image unless
    // in_image_ok.
    bool holds(const void *p, uint64_t len, bool writable, bool in_image_ok = false) const {
        auto a = reinterpret_cast<uintptr_t>(p);
        if (!in_image_ok && hole_hi > hole_lo && a < hole_hi && (len > UINTPTR_MAX - a || a + len > hole_lo))
            return false;
        if (writable)
            for (const Seg &r : relro)
                if (a < r.hi && (len > UINTPTR_MAX - a || a + len > r.lo)) return false;
        for (const Seg &s : loads)
            if (a >= s.lo && a <= s.hi && len <= s.hi - a && (!writable || s.writable)) return true;
        return false;
    }
};

int find_exec_range(struct dl_phdr_info *info, size_t, void *data) {
    auto *s = static_cast<PhdrSearch *>(data);
    if (info->dlpi_addr != s->base) return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) &ph = info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
        // The loader write-protects the RELRO part's whole pages (its end rounded down).
        if (ph.p_type == PT_GNU_RELRO) s->relro.push_back({lo & ~uintptr_t(4095), (lo + ph.p_memsz) & ~uintptr_t(4095), false});
        if (ph.p_type != PT_LOAD) continue;
        s->file_segs.push_back({lo, ph.p_offset, ph.p_filesz, ph.p_flags});
        s->loads.push_back({lo, lo + ph.p_memsz, (ph.p_flags & PF_W) != 0});
        if (!(ph.p_flags & PF_X)) continue;
        s->lo = std::min(s->lo, lo);
        s->hi = std::max(s->hi, lo + ph.p_memsz);
    }
    return 1;
}

ValType to_vt(uint8_t b) { return static_cast<ValType>(b); }

bool known_vt(uint8_t b) {
    switch (b) {
    case LUCET_VT_I32: case LUCET_VT_I64: case LUCET_VT_F32: case LUCET_VT_F64: case LUCET_VT_V128:
    case LUCET_VT_FUNCREF: case LUCET_VT_EXTERNREF: return true;
    default: return false;
    }
}

// A descriptor's 32-bit type field (a v128 exactly when == LUCET_VT_V128).
ValType vt_of(uint32_t t) { return t <= 0xff ? to_vt(static_cast<uint8_t>(t)) : ValType::I32; }

// The value type of every global, imports first.
std::vector<ValType> global_types(const lucet_module_desc &d) {
    std::vector<ValType> types;
    types.reserve(uint64_t(d.num_imported_globals) + d.num_globals);
    for (uint32_t i = 0; i < d.num_imports; i++)
        if (d.imports[i].kind == LUCET_EXTERN_GLOBAL) types.push_back(vt_of(d.imports[i].type));
    for (uint32_t k = 0; k < d.num_globals; k++) types.push_back(vt_of(d.globals[k].type));
    return types;
}

// Defined globals: init expressions the runtime can evaluate for their
// type (a v128 global reads 16 bytes: a v128.const or a global.get of an
// earlier v128 global; no other global reads a v128, whose slot holds a
// pointer). Runs after the import checks (types[] has every global).
template <typename Bad>
Status check_globals(const lucet_module_desc &d, const Bad &bad) {
    if (d.num_globals && !d.globals) return bad("no global table");
    std::vector<ValType> types = global_types(d);
    for (uint32_t k = 0; k < d.num_globals; k++) {
        const lucet_global_desc &g = d.globals[k];
        std::string what = "global " + std::to_string(d.num_imported_globals + k);
        bool v128 = g.type == LUCET_VT_V128;
        switch (g.init.kind) {
        case LUCET_INIT_CONST: break;
        case LUCET_INIT_GLOBAL_GET:
            if (g.init.value >= uint64_t(d.num_imported_globals) + k)
                return bad(what + "'s init reads global " + std::to_string(g.init.value) + ", not an earlier one");
            if (v128 != (types[g.init.value] == ValType::V128))
                return bad(what + "'s init reads a global of another type");
            break;
        case LUCET_INIT_REF_NULL:
        case LUCET_INIT_REF_FUNC:
            if (v128) return bad(what + " is a v128 initialised with a reference");
            if (g.init.kind == LUCET_INIT_REF_FUNC && g.init.value >= uint64_t(d.num_imported_funcs) + d.num_funcs)
                return bad(what + " refers to a bad function");
            break;
        default: return bad(what + " has an unknown init expression kind");
        }
    }
    return {};
}

// Structural checks so that a malformed descriptor gives an error instead of
// a crash later (the .so is native code and trusted, but a stale or foreign
// one should not take the process down at instantiation).
// The module's code may use `needed` (LUCET_CPU_*): refuse it, naming what
// is missing, unless this CPU (and the OS) provides all of it.
Status check_cpu_features(const std::string &path, uint64_t needed) {
    uint64_t missing = needed & ~cpu::host_features();
    if (!missing) return {};
    uint64_t unknown = missing & ~cpu::known_mask();
    std::string level = cpu::covering_level(needed);
    std::string msg = path + ": refusing to load: the module was compiled for a CPU with " +
                      (unknown ? "features this runtime does not know" : "features this one lacks") + ": " +
                      cpu::names(missing);
    if (!level.empty()) msg += " (it needs " + level + ")";
    msg += "; recompile it with lucetc --target-cpu native, or a lower level such as x86-64";
    return make_error(msg, ErrorKind::Module);
}

Status check_desc(const std::string &path, const lucet_module_desc &d) {
    auto bad = [&](const std::string &what) {
        return make_error(path + ": malformed module descriptor: " + what, ErrorKind::Module);
    };
    if (d.flags & ~uint32_t(LUCET_MODULE_BOUNDS_CHECKED)) return bad("unknown flags " + std::to_string(d.flags));
    if ((d.flags & LUCET_MODULE_BOUNDS_CHECKED) && !LUCET_LAYOUT_CHECKS_EVERY_ACCESS(d.reserved_size, d.guard_size))
        return bad("it claims every heap access is bounds checked, but its layout (reserved " +
                   format_size(d.reserved_size) + " + guard " + format_size(d.guard_size) +
                   ") leaves accesses to the guard region");
    if (d.num_sigs && !d.sigs) return bad("no signature table");
    if (d.num_sigs && !d.type_ids) return bad("no type_ids array");
    if (!d.rt) return bad("no runtime function table");
    for (uint32_t k = 0; k < d.num_sigs; k++) {
        const lucet_sig_desc &s = d.sigs[k];
        if (!s.trampoline) return bad("signature " + std::to_string(k) + " has no trampoline");
        if ((s.nparams + s.nresults) && !s.types) return bad("signature " + std::to_string(k) + " has no types");
        for (uint32_t i = 0; i < s.nparams + s.nresults; i++)
            if (!known_vt(s.types[i])) return bad("signature " + std::to_string(k) + " has an unknown value type");
    }
    if (d.num_imports && !d.imports) return bad("no import table");
    uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
    for (uint32_t i = 0; i < d.num_imports; i++) {
        const lucet_import_desc &im = d.imports[i];
        switch (im.kind) {
        case LUCET_EXTERN_FUNC:
            nf++;
            if (im.type >= d.num_sigs) return bad("import " + std::to_string(i) + " has a bad signature index");
            break;
        case LUCET_EXTERN_TABLE: nt++; break;
        case LUCET_EXTERN_MEMORY: nm++; break;
        case LUCET_EXTERN_GLOBAL: ng++; break;
        default: return bad("import " + std::to_string(i) + " has an unknown kind");
        }
    }
    if (nf != d.num_imported_funcs || nt != d.num_imported_tables || nm != d.num_imported_memories ||
        ng != d.num_imported_globals)
        return bad("import counts disagree with the import table");
    if (d.num_imported_memories + d.num_memories > 1) return bad("more than one memory");
    for (uint32_t i = 0; i < d.num_funcs; i++)
        if (!d.funcs[i].code || d.funcs[i].sig >= d.num_sigs)
            return bad("function " + std::to_string(i) + " has no code or a bad signature index");
    uint64_t nfuncs = uint64_t(d.num_imported_funcs) + d.num_funcs;
    uint64_t ntables = uint64_t(d.num_imported_tables) + d.num_tables;
    uint64_t nglobals = uint64_t(d.num_imported_globals) + d.num_globals;
    uint64_t nmems = uint64_t(d.num_imported_memories) + d.num_memories;
    for (uint32_t i = 0; i < d.num_exports; i++) {
        const lucet_export_desc &e = d.exports[i];
        uint64_t n = e.kind == LUCET_EXTERN_FUNC ? nfuncs : e.kind == LUCET_EXTERN_TABLE ? ntables
                     : e.kind == LUCET_EXTERN_MEMORY ? nmems : e.kind == LUCET_EXTERN_GLOBAL ? nglobals : 0;
        if (e.index >= n) return bad("export " + std::to_string(i) + " has a bad index");
    }
    if (d.has_start && d.start_func >= nfuncs) return bad("bad start function index");
    LUCET_TRY(check_globals(d, bad));
    for (uint32_t i = 0; i < d.num_data; i++)
        if (d.data[i].len && !d.data[i].data) return bad("data segment " + std::to_string(i) + " has no bytes");
    for (uint32_t i = 0; i < d.num_elems; i++) {
        const lucet_elem_desc &e = d.elems[i];
        if (e.count && !e.items) return bad("element segment " + std::to_string(i) + " has no items");
        for (uint32_t j = 0; j < e.count; j++)
            if (e.items[j].kind == LUCET_INIT_REF_FUNC && e.items[j].value >= nfuncs)
                return bad("element segment " + std::to_string(i) + " refers to a bad function");
    }
    return {};
}

// The descriptor's pointers that the loader writes through (rt, type_ids)
// or instantiation copies from (data segment bytes) must point into the
// module itself: a lying descriptor would otherwise make the host write the
// runtime's function table anywhere, or copy (and crash on, or leak) host
// memory into the guest's heap, before any of the module's code runs.
Status check_desc_pointers(const std::string &path, const lucet_module_desc &d, const PhdrSearch &mem) {
    auto bad = [&](const std::string &what) {
        return make_error(path + ": malformed module descriptor: " + what, ErrorKind::Module);
    };
    if (!mem.holds(d.rt, sizeof *d.rt, true)) return bad("its runtime function table is not in the module's writable data");
    if (d.num_sigs && !mem.holds(d.type_ids, uint64_t(d.num_sigs) * sizeof *d.type_ids, true))
        return bad("its type_ids array is not in the module's writable data");
    // The tables the loader reads (before check_desc reads them).
    auto table = [&](const void *p, uint64_t n, uint64_t size) { return !n || mem.holds(p, n * size, false); };
    if (!table(d.sigs, d.num_sigs, sizeof *d.sigs) || !table(d.imports, d.num_imports, sizeof *d.imports) ||
        !table(d.funcs, d.num_funcs, sizeof *d.funcs) || !table(d.tables, d.num_tables, sizeof *d.tables) ||
        !table(d.memories, d.num_memories, sizeof *d.memories) || !table(d.globals, d.num_globals, sizeof *d.globals) ||
        !table(d.exports, d.num_exports, sizeof *d.exports) || !table(d.data, d.num_data, sizeof *d.data) ||
        !table(d.elems, d.num_elems, sizeof *d.elems))
        return bad("one of its tables is not in the module");
    for (uint32_t i = 0; i < d.num_data; i++)
        if (d.data[i].len && !mem.holds(d.data[i].data, d.data[i].len, false, true))
            return bad("data segment " + std::to_string(i) + "'s bytes are not in the module");
    // What those tables point at: signature types, names, element items.
    auto bytes = [&](const void *p, uint64_t len) { return !len || mem.holds(p, len, false); };
    for (uint32_t i = 0; i < d.num_sigs; i++)
        if (!bytes(d.sigs[i].types, uint64_t(d.sigs[i].nparams) + d.sigs[i].nresults))
            return bad("signature " + std::to_string(i) + "'s types are not in the module");
    for (uint32_t i = 0; i < d.num_imports; i++)
        if (!bytes(d.imports[i].module, d.imports[i].module_len) || !bytes(d.imports[i].field, d.imports[i].field_len))
            return bad("import " + std::to_string(i) + "'s names are not in the module");
    for (uint32_t i = 0; i < d.num_exports; i++)
        if (!bytes(d.exports[i].name, d.exports[i].name_len))
            return bad("export " + std::to_string(i) + "'s name is not in the module");
    for (uint32_t i = 0; i < d.num_funcs; i++)
        if ((d.funcs[i].name && !bytes(d.funcs[i].name, d.funcs[i].name_len)) || !mem.holds(d.funcs[i].code, 1, false))
            return bad("function " + std::to_string(i) + "'s code or name is not in the module");
    for (uint32_t i = 0; i < d.num_elems; i++)
        if (!bytes(d.elems[i].items, uint64_t(d.elems[i].count) * sizeof *d.elems[i].items))
            return bad("element segment " + std::to_string(i) + "'s items are not in the module");
    return {};
}

// Where the data image left out of the memfd (VerifiedModuleFile) is
// mapped: it must lie in the file part of a read-only, non-executable
// segment, which the loader never relocates.
Status find_image(const std::string &path, rt::ImageRange img, PhdrSearch &mem) {
    for (const PhdrSearch::FileSeg &s : mem.file_segs) {
        if (img.lo < s.offset || img.hi > s.offset + s.filesz) continue;
        if (s.flags != PF_R)
            return make_error(path + ": refusing to load: its data image (.lucet_image) is not in a read-only segment",
                              ErrorKind::Module);
        mem.hole_lo = s.addr + (img.lo - s.offset);
        mem.hole_hi = mem.hole_lo + (img.hi - img.lo);
        if (mem.hole_lo % 4096) break;
        return {};
    }
    return make_error(path + ": refusing to load: its data image (.lucet_image) is not in one page-aligned segment",
                      ErrorKind::Module);
}

// Maps the data image's pages from the original file over the loader's
// mapping of the memfd (zeros there): the descriptor checks found nothing
// but data segment bytes in it, so its bytes only ever reach guest memory.
Status map_image(const std::string &path, const rt::VerifiedModuleFile &vf, const PhdrSearch &mem) {
    void *p = mmap(reinterpret_cast<void *>(mem.hole_lo), mem.hole_hi - mem.hole_lo, PROT_READ, MAP_PRIVATE | MAP_FIXED,
                   vf.image_fd(), static_cast<off_t>(vf.image().lo));
    if (p == MAP_FAILED)
        return make_error(path + ": cannot map the module's data image from the file: " + std::strerror(errno));
    return {};
}

// Reads the extents of the generated functions (lucet_f<N>[_name], the
// chunks of split ones, lucet_c<N>_<k>[_name], and the parts cc splits off
// them, lucet_f<N>[_name].cold) from the .so's ELF symbol table. Hidden
// symbols are not in the dynamic symbol table, so dladdr cannot name them.
// Best effort: a stripped or unreadable file leaves `out` empty and the
// loader falls back to function start addresses.
void read_symbol_ranges(const std::string &path, uintptr_t bias, uint64_t nfuncs,
                        std::vector<DlModule::Impl::SymRange> &out) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct Closer {
        int fd;
        ~Closer() { close(fd); }
    } closer{fd};
    auto read_at = [&](void *buf, size_t len, uint64_t off) {
        return pread(fd, buf, len, static_cast<off_t>(off)) == static_cast<ssize_t>(len);
    };
    ElfW(Ehdr) eh;
    if (!read_at(&eh, sizeof eh, 0) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(ElfW(Shdr)) || eh.e_shnum == 0 ||
        eh.e_shnum > 65000)
        return;
    std::vector<ElfW(Shdr)> sh(eh.e_shnum);
    if (!read_at(sh.data(), sh.size() * sizeof(ElfW(Shdr)), eh.e_shoff)) return;
    for (const ElfW(Shdr) &sec : sh) {
        if (sec.sh_type != SHT_SYMTAB || sec.sh_link >= sh.size() || sec.sh_entsize != sizeof(ElfW(Sym))) continue;
        const ElfW(Shdr) &strsec = sh[sec.sh_link];
        constexpr uint64_t kMaxTable = 1ull << 30;
        if (sec.sh_size > kMaxTable || strsec.sh_size > kMaxTable) return;
        std::vector<ElfW(Sym)> syms(sec.sh_size / sizeof(ElfW(Sym)));
        std::string strs(strsec.sh_size, '\0');
        if (!read_at(syms.data(), syms.size() * sizeof(ElfW(Sym)), sec.sh_offset) ||
            !read_at(strs.data(), strs.size(), strsec.sh_offset))
            return;
        for (const ElfW(Sym) &sym : syms) {
            if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_size == 0 || sym.st_shndx == SHN_UNDEF) continue;
            if (sym.st_name >= strs.size()) continue;
            const char *name = strs.c_str() + sym.st_name;
            // lucet_f<N>, lucet_f<N>_<name> (lucetc's func_c_name), the
            // chunks of a split function, lucet_c<N>_<k>[_<name>]
            // (cgen/func_split.cpp), and the parts cc splits off any of them
            // (".cold", ".part.0").
            if (std::strncmp(name, "lucet_f", 7) != 0 && std::strncmp(name, "lucet_c", 7) != 0) continue;
            const bool chunk = name[6] == 'c';
            const char *p = name + 7;
            if (*p < '0' || *p > '9') continue;
            uint64_t idx = 0;
            while (*p >= '0' && *p <= '9' && idx <= nfuncs) idx = idx * 10 + uint64_t(*p++ - '0');
            if (chunk && (*p != '_' || p[1] < '0' || p[1] > '9')) continue;
            if ((*p != '\0' && *p != '.' && *p != '_') || idx >= nfuncs) continue;
            uintptr_t start = bias + sym.st_value;
            out.push_back({start, start + sym.st_size, static_cast<uint32_t>(idx), chunk});
        }
        std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) { return a.start < b.start; });
        return;
    }
}

}  // namespace

Result<std::shared_ptr<DlModule>> DlModule::load(const std::string &path, const ModuleLoadOptions &options) {
    // Checked before dlopen, which would run the file's initialisers.
    auto file = rt::VerifiedModuleFile::open(path, options.signature_public_key);
    if (!file) return file.error();
    return load_verified(std::move(*file), path, options);
}

Result<std::shared_ptr<DlModule>> DlModule::load(UniqueFd file, const std::string &path,
                                                 const ModuleLoadOptions &options) {
    auto verified = rt::VerifiedModuleFile::open(std::move(file), path, options.signature_public_key);
    if (!verified) return verified.error();
    return load_verified(std::move(*verified), path, options);
}

Result<std::shared_ptr<DlModule>> DlModule::load_verified(std::unique_ptr<rt::VerifiedModuleFile> file,
                                                          const std::string &path, const ModuleLoadOptions &) {
    const std::string &open_path = file->dlopen_path();
    void *h = dlopen(open_path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        return make_error("cannot load module " + path + ": " + (e ? e : "unknown dlopen error"), ErrorKind::Module);
    }
    std::shared_ptr<DlModule> m(new DlModule());
    m->path_ = path;
    m->handle_ = h;  // from here on the destructor dlcloses
    m->impl_ = std::make_unique<Impl>();
    m->impl_->file = std::move(file);
    auto *desc = static_cast<lucet_module_desc *>(dlsym(h, LUCET_MODULE_SYMBOL));
    if (!desc) return make_error(path + " is not a lucet module: it has no symbol " LUCET_MODULE_SYMBOL, ErrorKind::Module);
    // abi_version is the descriptor's first field in every version, so it
    // can be read before anything else is trusted.
    if (desc->abi_version != LUCET_ABI_VERSION)
        return make_error(path + ": module was compiled for ABI version " + std::to_string(desc->abi_version) +
                              ", this runtime supports " + std::to_string(LUCET_ABI_VERSION) +
                              " (recompile it with this version's lucetc)",
                          ErrorKind::Module);
    // Before any of its code can run (dlopen ran none: the ELF check refuses
    // initialisers): code compiled for a CPU this one is not would die of
    // SIGILL at its first such instruction.
    LUCET_TRY(check_cpu_features(path, desc->cpu_features));
    struct link_map *lm = nullptr;
    if (dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0 || !lm)
        return make_error(path + ": cannot find the module's load address (dlinfo failed)");
    PhdrSearch search;
    search.base = lm->l_addr;  // the load bias, which dl_iterate_phdr reports as dlpi_addr
    dl_iterate_phdr(find_exec_range, &search);
    const rt::VerifiedModuleFile &vf = *m->impl_->file;
    if (vf.image_fd() >= 0) LUCET_TRY(find_image(path, vf.image(), search));
    LUCET_TRY(check_desc_pointers(path, *desc, search));
    LUCET_TRY(check_desc(path, *desc));
    if (vf.image_fd() >= 0) LUCET_TRY(map_image(path, vf, search));
    m->desc_ = desc;
    Impl &im = *m->impl_;

    *desc->rt = rt::g_rt_fns;
    im.sigs.reserve(desc->num_sigs);
    for (uint32_t k = 0; k < desc->num_sigs; k++) {
        const lucet_sig_desc &s = desc->sigs[k];
        FuncType ft;
        for (uint32_t i = 0; i < s.nparams; i++) ft.params.push_back(to_vt(s.types[i]));
        for (uint32_t i = 0; i < s.nresults; i++) ft.results.push_back(to_vt(s.types[s.nparams + i]));
        desc->type_ids[k] = signature_id(ft);
        Impl::SigSlots slots;
        for (ValType t : ft.params) slots.args += t == ValType::V128 ? 2 : 1;
        for (ValType t : ft.results) slots.results += t == ValType::V128 ? 2 : 1;
        slots.v128 = slots.args + slots.results != s.nparams + s.nresults;
        im.sig_slots.push_back(slots);
        im.sigs.push_back(std::move(ft));
    }
    im.global_types = global_types(*desc);
    uint64_t nglobals = im.global_types.size(), nv128 = 0;
    for (uint32_t k = 0; k < desc->num_globals; k++) nv128 += desc->globals[k].type == LUCET_VT_V128;
    im.v128_storage_off = rt::round_up(LUCET_VMCTX_GLOBALS_OFFSET + 8 * nglobals, 16);
    im.vmctx_used = nv128 ? im.v128_storage_off + 16 * nv128 : LUCET_VMCTX_GLOBALS_OFFSET + 8 * nglobals;

    for (uint32_t i = 0; i < desc->num_funcs; i++)
        im.code_map.emplace_back(reinterpret_cast<uintptr_t>(desc->funcs[i].code), desc->num_imported_funcs + i);
    std::sort(im.code_map.begin(), im.code_map.end());
    for (uint32_t i = 0; i < desc->num_exports; i++) {
        const lucet_export_desc &e = desc->exports[i];
        if (e.kind == LUCET_EXTERN_FUNC) im.func_exports.emplace(std::string_view(e.name, e.name_len), e.index);
    }

    // The executable segments of this object (found above): the fault
    // handler only turns a fault into a trap when the PC is inside one of them.
    // No executable segment: a module with no code (descriptor only), where
    // no PC can ever be the module's.
    if (search.hi == 0) {
        if (desc->num_funcs != 0) return make_error(path + ": cannot find the module's executable segment");
        return m;
    }
    im.code_lo = search.lo;
    im.code_hi = search.hi;
    read_symbol_ranges(open_path, lm->l_addr, uint64_t(desc->num_imported_funcs) + desc->num_funcs, im.sym_ranges);
    im.code_range = rt::register_code_range(search.lo, search.hi, m.get());
    if (im.code_range < 0) return make_error(path + ": too many modules loaded at once (limit 1024)");
    return m;
}

DlModule::~DlModule() {
    if (impl_ && impl_->code_range >= 0) rt::unregister_code_range(impl_->code_range);
    if (impl_ && impl_->image.fd >= 0) close(impl_->image.fd);
    if (handle_) dlclose(handle_);
}

FuncType DlModule::sig(uint32_t sig_index) const {
    if (sig_index >= impl_->sigs.size()) return {};
    return impl_->sigs[sig_index];
}

FuncType DlModule::func_type(uint32_t func_index) const {
    const lucet_module_desc &d = *desc_;
    if (func_index < d.num_imported_funcs) {
        uint32_t seen = 0;
        for (uint32_t i = 0; i < d.num_imports; i++) {
            if (d.imports[i].kind != LUCET_EXTERN_FUNC) continue;
            if (seen++ == func_index) return sig(d.imports[i].type);
        }
        return {};
    }
    uint32_t k = func_index - d.num_imported_funcs;
    if (k >= d.num_funcs) return {};
    return sig(d.funcs[k].sig);
}

std::optional<uint32_t> DlModule::function_index_at(uintptr_t pc, bool *in_chunk) const {
    if (in_chunk) *in_chunk = false;
    const Impl &im = *impl_;
    if (pc < im.code_lo || pc >= im.code_hi) return std::nullopt;
    if (!im.sym_ranges.empty()) {
        auto it = std::upper_bound(im.sym_ranges.begin(), im.sym_ranges.end(), pc,
                                   [](uintptr_t p, const Impl::SymRange &r) { return p < r.start; });
        if (it == im.sym_ranges.begin()) return std::nullopt;
        --it;
        if (pc >= it->end) return std::nullopt;
        if (in_chunk) *in_chunk = it->chunk;
        return it->func;
    }
    const auto &map = im.code_map;
    auto it = std::upper_bound(map.begin(), map.end(), std::make_pair(pc, UINT32_MAX));
    if (it == map.begin()) return std::nullopt;
    return std::prev(it)->second;
}

std::string DlModule::function_name(uint32_t idx) const {
    std::string s = "func[" + std::to_string(idx) + "]";
    if (idx >= desc_->num_imported_funcs && idx - desc_->num_imported_funcs < desc_->num_funcs) {
        const lucet_func_desc &f = desc_->funcs[idx - desc_->num_imported_funcs];
        if (f.name && f.name_len) s += " <" + escaped_name(std::string_view(f.name, f.name_len)) + ">";
    }
    return s;
}

std::string DlModule::function_name_at(uintptr_t pc) const {
    auto idx = function_index_at(pc);
    return idx ? function_name(*idx) : std::string();
}

}  // namespace lucet
