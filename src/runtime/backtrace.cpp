// backtrace.cpp: the wasm frames of a trap, read from the abandoned guest
// stack after the run has switched back to the host.
//
// Generated code keeps frame pointers (-fno-omit-frame-pointer, lucetc), so
// every generated frame starts with a frame record {saved rbp, return
// address}. The walk starts at the record of the code the trap happened in
// (the fault's rbp, or the rbp a runtime helper saved) and follows the saved
// rbps outwards, mapping each return address to a function through the
// module's symbol ranges. A hostile module controls its rbp chain, so every
// record read must lie inside this run's guest stack, records must move
// strictly towards the stack's top, and the walk ends at the first return
// address outside module code (the entry trampoline's caller, a host
// function).
//
// cc's inlining merges frames: a function inlined into its caller has no
// frame of its own. An explicit trap knows its function anyway (the site
// the emitter passes, LUCET_TRAP_SITE), which is reported as frame 0 and
// marked `inlined` when the code it ran in belongs to another function; a
// fault only has a PC, and the frame of a function that may have absorbed
// callees (LUCET_FUNC_MAY_INLINE) is marked so.
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "runtime/internal.h"
#include "util/escape.h"

namespace lucet {

using namespace rt;

namespace {

// Raw code addresses, innermost first; `is_return` for return addresses
// (which may point one past the calling function's last byte).
struct RawPc {
    uintptr_t pc;
    bool is_return;
};

bool is_func_start(const DlModule &m, uintptr_t pc, uintptr_t *start_out) {
    auto idx = m.function_index_at(pc);
    if (!idx) return false;
    // The start of the range pc is in: the first byte whose index is idx.
    // function_index_at is exact with symbols; compare with the code pointer.
    const lucet_module_desc &d = m.desc();
    if (*idx < d.num_imported_funcs || *idx - d.num_imported_funcs >= d.num_funcs) return false;
    auto start = reinterpret_cast<uintptr_t>(d.funcs[*idx - d.num_imported_funcs].code);
    *start_out = start;
    return pc >= start && pc < start + 8;
}

}  // namespace

std::string TrapFrame::to_string() const {
    std::string s = "func[" + std::to_string(func) + "]";
    if (!name.empty()) s += " <" + escaped_name(name) + ">";
    if (offset != LUCET_TRAP_OFFSET_UNKNOWN) {
        char buf[32];
        std::snprintf(buf, sizeof buf, " @ 0x%" PRIx32, offset);
        s += buf;
    }
    return s;
}

std::string TrapInfo::backtrace_string() const {
    if (backtrace.empty()) return {};
    std::string s = "wasm backtrace:\n";
    bool any_marked = false;
    for (size_t i = 0; i < backtrace.size(); i++) {
        const TrapFrame &f = backtrace[i];
        bool mark = f.may_include_inlined && !f.inlined;
        any_marked |= mark;
        s += "    " + std::to_string(i) + ": " + f.to_string() + (mark ? " *" : "");
        if (f.inlined && i + 1 < backtrace.size())
            s += " (inlined into func[" + std::to_string(backtrace[i + 1].func) + "]; frames between them are not known)";
        s += "\n";
    }
    if (frames_omitted) s += "    ... " + std::to_string(frames_omitted) + " more frames\n";
    if (backtrace_partial) s += "    (raised by host code: outer frames not shown)\n";
    if (any_marked) s += "    (*: cc may have inlined callees into this function; their frames are not shown)\n";
    return s;
}

void rt::fill_backtrace(const RunState &rs, TrapInfo &info) {
    std::vector<RawPc> raw;
    raw.push_back({rs.trap_pc, rs.pc_is_return});
    const Instance::Impl &inst = *rs.inst;
    uintptr_t lo = reinterpret_cast<uintptr_t>(inst.slot_base + inst.region->stack_off);
    uintptr_t hi = reinterpret_cast<uintptr_t>(inst.slot_base + inst.region->stack_end_guard_off);
    auto on_stack = [&](uintptr_t p, uintptr_t len) { return p >= lo && p % 8 == 0 && p <= hi && hi - p >= len; };

    // A fault on a function's first instructions, before it pushed rbp:
    // rbp is still the caller's record, the return address at the stack
    // pointer (after endbr64 and push rbp: at sp + 8).
    if (!rs.pc_is_return && rs.trap_sp) {
        const DlModule *m = module_at_pc(rs.trap_pc);
        uintptr_t start = 0;
        if (m && is_func_start(*m, rs.trap_pc, &start)) {
            uintptr_t off = rs.trap_pc - start;
            bool endbr = std::memcmp(reinterpret_cast<const void *>(start), "\xf3\x0f\x1e\xfa", 4) == 0;
            uintptr_t push_at = endbr ? 4 : 0;
            if (off <= push_at + 1) {
                uintptr_t at = rs.trap_sp + (off > push_at ? 8 : 0);
                if (on_stack(at, 8)) raw.push_back({*reinterpret_cast<const uintptr_t *>(at), true});
            }
        }
    }
    uint64_t total = 0;
    for (uintptr_t fp = rs.trap_fp; fp && on_stack(fp, 16) && total < (1u << 22);) {
        const auto *rec = reinterpret_cast<const uintptr_t *>(fp);
        uintptr_t ret = rec[1];
        if (!module_at_pc(ret - 1)) break;
        raw.push_back({ret, true});
        total++;
        if (rec[0] <= fp) break;
        fp = rec[0];
    }
    info.backtrace_partial = !rs.trap_fp;

    // Raw PCs -> wasm frames. Code of the module that is not a function
    // (lucet_trap wrappers, trampolines) is skipped.
    std::vector<TrapFrame> &out = info.backtrace;
    out.clear();
    info.frames_omitted = 0;
    const DlModule *site_module = nullptr;
    // The function a chunk frame just listed belongs to: its dispatcher's
    // frame (the function itself, next outwards) is the same wasm frame.
    std::optional<uint32_t> chunk_of;
    for (const RawPc &r : raw) {
        uintptr_t pc = r.is_return ? r.pc - 1 : r.pc;
        const DlModule *m = module_at_pc(pc);
        if (!m) {
            if (&r == &raw[0]) continue;  // a host function's caller_pc outside any module: nothing to name
            break;
        }
        if (!site_module) site_module = m;
        bool in_chunk = false;
        auto idx = m->function_index_at(pc, &in_chunk);
        if (!idx) continue;
        bool dispatcher = !in_chunk && chunk_of == idx;
        chunk_of = in_chunk ? idx : std::nullopt;
        if (dispatcher) continue;
        if (out.size() >= TrapInfo::kMaxFrames) {
            info.frames_omitted++;
            continue;
        }
        TrapFrame f;
        f.func = *idx;
        f.pc = r.pc;
        const lucet_module_desc &d = m->desc();
        if (*idx >= d.num_imported_funcs && *idx - d.num_imported_funcs < d.num_funcs) {
            const lucet_func_desc &fd = d.funcs[*idx - d.num_imported_funcs];
            if (fd.name && fd.name_len) f.name.assign(fd.name, fd.name_len);
            f.may_include_inlined = fd.flags & LUCET_FUNC_MAY_INLINE;
        }
        out.push_back(std::move(f));
    }
    info.frames_omitted += total >= (1u << 22) ? 1 : 0;

    // An explicit trap's site names its function exactly (checked against
    // the module: a hostile site names nothing).
    if (rs.trap_site != RunState::kNoSite && site_module) {
        const lucet_module_desc &d = site_module->desc();
        uint64_t func = rs.trap_site >> 32;
        auto offset = static_cast<uint32_t>(rs.trap_site);
        if (func >= d.num_imported_funcs && func - d.num_imported_funcs < d.num_funcs) {
            if (!out.empty() && out[0].func == func) {
                out[0].offset = offset;
            } else {
                TrapFrame f;
                f.func = static_cast<uint32_t>(func);
                f.offset = offset;
                const lucet_func_desc &fd = d.funcs[func - d.num_imported_funcs];
                if (fd.name && fd.name_len) f.name.assign(fd.name, fd.name_len);
                f.inlined = !out.empty();
                out.insert(out.begin(), std::move(f));
                if (out.size() > TrapInfo::kMaxFrames) {
                    out.pop_back();
                    info.frames_omitted++;
                }
            }
        }
    }
    info.function.clear();
    if (!out.empty()) {
        info.function = "func[" + std::to_string(out[0].func) + "]";
        if (!out[0].name.empty()) info.function += " <" + escaped_name(out[0].name) + ">";
    }
}

}  // namespace lucet
