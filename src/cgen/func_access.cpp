// func_access.cpp: the FuncEmitter parts that touch memory and globals:
// bounds checks, loads and stores (MVP and SIMD), global.get/set, and the
// SIMD instructions (whose C comes from simd_ops.cpp).
#include <cstring>

#include "cgen/func_emitter.h"
#include "decode/simd_ops.h"

namespace lucet::cgen {

// The 8-byte slot of a scalar global: in the vmctx for a defined one; an
// imported one's vmctx slot points to the exporter's slot.
std::string FuncEmitter::global_slot(uint32_t g) const {
    return g < m_.num_imported_globals ? fmt::format("(*(uint64_t *)(uintptr_t)ctx->globals[{}])", g)
                                       : fmt::format("ctx->globals[{}]", g);
}

void FuncEmitter::global_get(uint32_t g) {
    ValType t = m_.global_types[g].type;
    std::string d = push(t);
    if (t == ValType::V128) {  // the slot holds a pointer to the 16 bytes (lucet_abi.h)
        fmt::format_to(std::back_inserter(body_), "__builtin_memcpy(&{}, (const void *)(uintptr_t)ctx->globals[{}], 16);\n",
                       d, g);
        return;
    }
    std::string slot_expr = global_slot(g);
    switch (t) {
    case ValType::I32: fmt::format_to(std::back_inserter(body_), "{} = (uint32_t){};\n", d, slot_expr); break;
    case ValType::F32:
        // _reint: unknown to clang, which may have seen the slot written
        // (or compared) and would fold arithmetic on a signalling NaN.
        fmt::format_to(std::back_inserter(body_), "{} = lucet_f32_reint((uint32_t){});\n", d, slot_expr);
        break;
    case ValType::F64: fmt::format_to(std::back_inserter(body_), "{} = lucet_f64_reint({});\n", d, slot_expr); break;
    default: fmt::format_to(std::back_inserter(body_), "{} = {};\n", d, slot_expr); break;
    }
}

void FuncEmitter::global_set(uint32_t g) {
    ValType t = m_.global_types[g].type;
    std::string v = pop();
    if (t == ValType::V128) {
        fmt::format_to(std::back_inserter(body_), "__builtin_memcpy((void *)(uintptr_t)ctx->globals[{}], &{}, 16);\n",
                       g, v);
        return;
    }
    std::string slot_expr = global_slot(g);
    // Whole 8-byte slot, zero-extended: the slot representation of lucet_abi.h.
    switch (t) {
    case ValType::F32: fmt::format_to(std::back_inserter(body_), "{} = lucet_f32_bits({});\n", slot_expr, v); break;
    case ValType::F64: fmt::format_to(std::back_inserter(body_), "{} = lucet_f64_bits({});\n", slot_expr, v); break;
    default: fmt::format_to(std::back_inserter(body_), "{} = {};\n", slot_expr, v); break;
    }
}

// The effective address of an access of `size` bytes at `a` + offset, after
// emitting its bounds check if one is needed: the guard region absorbs any
// 33-bit address iff reservation + guard covers 2^32 + offset + size;
// otherwise the whole access is checked against the current size.
std::string FuncEmitter::address(const std::string &a, const MemArg &ma, uint32_t size) {
    unsigned __int128 covered = (unsigned __int128)opts_.reserved_size + opts_.guard_size;
    unsigned __int128 needed = ((unsigned __int128)1 << 32) + ma.offset + size;
    std::string addr = fmt::format("(uint64_t){} + {}ull", a, ma.offset);
    if (covered < needed) {
        fmt::format_to(std::back_inserter(body_), "lucet_chk(ctx, {}, {}, {});\n", site_, addr, size);
    }
    return addr;
}

void FuncEmitter::mem_access(const MemOp &op, const MemArg &ma) {
    if (op.store) {
        // A store of a pending value keeps its loads alive only if cc keeps
        // the store. gcc deletes a store only as dead (ruled out by
        // -fno-tree-dse -fno-dse) or as redundant, when it can prove that the
        // memory already holds the value:
        // - a raw float value (a load, or sign-bit/selection ops that may
        //   fold back to one: store p (load p)) is forced first; float
        //   arithmetic never folds back to an operand (-fsignaling-nans);
        // - integer pending loads read through `memr` (func_emitter.h), which
        //   cc cannot prove equal to `mem`: whatever an integer chain folds
        //   to (x + 0), cc cannot know that `mem` already holds it.
        // clang has no -fno-dse: there the value is forced
        // (LUCET_FORCE_STORED_FLOAT/INT).
        if (pending(0) != kNone) {
            bool flt = is_float(stack_.back());
            body_ += flt ? (pending(0) == kRaw ? "LUCET_FORCE_READ_FLOAT(" : "LUCET_FORCE_STORED_FLOAT(")
                         : "LUCET_FORCE_STORED_INT(";
            body_ += top();
            body_ += ");\n";
        }
        std::string v = pop();
        std::string addr = address(pop(), ma, op.size);
        fmt::format_to(std::back_inserter(body_), "{}(mem + {}, {});\n", op.helper, addr, v);
    } else {
        std::string a = pop();
        std::string d = push(op.type);
        std::string addr = address(a, ma, op.size);
        // Every scalar load goes unforced (lucet_ldnf_*, no asm) as a
        // pending value; whatever consumes it other than a store or the ops
        // that carry it (keeps_pending) forces it first. Integer loads read
        // through memr (see the store case above).
        bool flt = is_float(op.type);
        if (!flt && !int_pending_here()) {
            fmt::format_to(std::back_inserter(body_), "{} = {}(mem + {});\n", d, op.helper, addr);
            return;
        }
        std::string helper = std::string("lucet_ldnf_") + (op.helper + std::strlen("lucet_ld_"));
        mark_pending(static_cast<uint32_t>(stack_.size()) - 1, kRaw);
        uses_memr_ |= !flt;
        fmt::format_to(std::back_inserter(body_), "{} = ", d);
        // If the value is forced after all, force_pending() rewrites this
        // load in place into the forced form (see load_pos_).
        if (!flt) {
            load_pos_[stack_.size() - 1].assign(1, body_.size());
            if (load_bits_.size() < stack_.size()) load_bits_.resize(stack_.size() * 2, 0);
            load_bits_[stack_.size() - 1] = static_cast<uint8_t>(op.size * 8);
        }
        fmt::format_to(std::back_inserter(body_), "{}({} + {});\n", helper, flt ? "mem" : "memr", addr);
    }
}

void FuncEmitter::simd_op(const SimdOp &op, const Instr &in) {
    uses_simd_ = true;
    std::string args[3];
    for (int i = op.arity - 1; i >= 0; i--) args[i] = pop();
    std::string d = push(op.result);
    body_ += d;
    body_ += " = ";
    fmt::format_to(std::back_inserter(body_), fmt::runtime(op.tmpl), args[0], args[1], args[2], in.index,
                   simd_immediate(in));
    body_ += ";\n";
}

void FuncEmitter::simd_mem_access(const char *helper, const Instr &in) {
    uses_simd_ = true;
    auto out = std::back_inserter(body_);
    const SimdOpInfo &info = simd_info(in.op);
    std::string v = info.sig == SimdSig::Load ? std::string() : pop();
    std::string addr = address(pop(), in.mem, 1u << info.access_log2);
    switch (info.sig) {
    case SimdSig::Load: fmt::format_to(out, "{} = {}(mem + {});\n", push(ValType::V128), helper, addr); break;
    case SimdSig::LoadLane:
        fmt::format_to(out, "{} = {}(mem + {}, {}, {});\n", push(ValType::V128), helper, addr, v, in.index);
        break;
    case SimdSig::StoreLane: fmt::format_to(out, "{}(mem + {}, {}, {});\n", helper, addr, v, in.index); break;
    default: fmt::format_to(out, "{}(mem + {}, {});\n", helper, addr, v); break;  // Store
    }
}


}  // namespace lucet::cgen
