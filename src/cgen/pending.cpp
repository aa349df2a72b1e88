// pending.cpp: which operations may carry a pending (unforced) load's value
// toward a store without letting cc fold the value away or drop the load
// (see pend_ in func_emitter.h): the integer chains, integer -> float
// conversions, and what keeps pending values alive at all.
#include <cstring>

#include "cgen/func_emitter.h"

namespace lucet::cgen {

// Integer pending values (see pend_): whether the integer op `op`, with at
// least one pending operand, may carry them into its result, and the
// result's weight w (0: opaque). The carried loads stay alive iff the final
// stored bits depend on every one of them whatever cc knows (it may know an
// operand's value, or that two loads of one address are equal):
// - linear values are sum(c_i * load_i) + k with all c_i > 0 and
//   w = sum(c_i) < 256, so any identification of loads leaves coefficients
//   in 1..255, and even a byte store keeps a bit of each load (add, mul and
//   shl by a constant);
// - opaque values are a bijection of one linear value that maps its low n
//   bits onto the result's low n bits for every n (add, sub, xor with a
//   non-pending value, mul by an odd constant): nothing can combine them
//   with another pending value (x ^ x, x - x would cancel).
bool FuncEmitter::int_pending_result(Op op, uint8_t &w) const {
    const SimpleOp *s = find_simple_op(op);
    if (!s || s->arity != 2) return false;
    uint8_t pa = pending(1), pb = pending(0);
    unsigned wa = pa ? pw_[stack_.size() - 2] : 0, wb = pb ? pw_[stack_.size() - 1] : 0;
    uint64_t k = 0;
    switch (op) {
    case Op::I32Add: case Op::I64Add:
        if (pa && pb) {
            if (wa == 0 || wb == 0 || wa + wb >= 256) return false;
            w = static_cast<uint8_t>(wa + wb);
            return true;
        }
        w = static_cast<uint8_t>(pa ? wa : wb);
        return true;
    case Op::I32Sub: case Op::I64Sub:
        if (pa && pb) return false;
        w = pa ? static_cast<uint8_t>(wa) : 0;  // n - x: opaque
        return true;
    case Op::I32Xor: case Op::I64Xor:
        if (pa && pb) return false;
        w = 0;
        return true;
    case Op::I32Mul: case Op::I64Mul: {
        if (pa && pb) return false;
        if (!int_const(pa ? 0 : 1, k)) return false;
        if (op == Op::I32Mul) k &= 0xffffffffu;
        unsigned wp = pa ? wa : wb;
        if (wp != 0 && k != 0 && k < 256 && wp * k < 256) {
            w = static_cast<uint8_t>(wp * k);
            return true;
        }
        w = 0;
        return (k & 1) != 0;
    }
    case Op::I32Shl: case Op::I64Shl:
        if (pb || wa == 0 || !int_const(0, k)) return false;
        k &= op == Op::I32Shl ? 31 : 63;
        if (k >= 8 || (wa << k) >= 256) return false;
        w = static_cast<uint8_t>(wa << k);
        return true;
    default: return false;
    }
}

// An integer -> float conversion of a loaded integer (kRaw) carries it
// (kConv): the conversion is monotonic and keeps 0 and 1 apart, so over the
// range of any load (0..255 at the least) the float is no constant. A
// derived integer forces first: its range can be narrow and far from 0,
// where rounding maps all of it to one float (load8_u + 0x80000180 to f32 is
// always 0x1.000004p31), which a compiler that tracks ranges could fold.
// Even a load's range is known (a narrow load: 0..255), and so the
// converted value's (finite, bounded); float arithmetic on a bounded value
// can be constant (x * 0 for x >= 0, x + 2^60 rounds to 2^60, min(x, -1)), and
// compilers that track float ranges (gcc 13, clang's compares of converted
// integers) fold it. So the converted value is carried on only by one
// multiplication by a constant of magnitude 2^-30..2^30 (exact scaling
// within the float range: values 0 and 1 stay apart) to kConvScaled, and by
// stores; everything else forces.
bool FuncEmitter::scales_conversion(Op op) const {
    if (op != Op::F32Mul && op != Op::F64Mul) return false;
    uint8_t pa = pending(1), pb = pending(0);
    uint64_t c = 0;
    if (pa == kConv && pb == kNone) {
        if (!float_const(0, c)) return false;
    } else if (pb == kConv && pa == kNone) {
        if (!float_const(1, c)) return false;
    } else {
        return false;
    }
    bool f32 = op == Op::F32Mul;
    int exp = f32 ? static_cast<int>((c >> 23) & 0xff) - 127 : static_cast<int>((c >> 52) & 0x7ff) - 1023;
    return exp >= -30 && exp < 30;
}

bool FuncEmitter::int_to_float_conversion(Op op) {
    switch (op) {
    case Op::F32ConvertI32S: case Op::F32ConvertI32U: case Op::F32ConvertI64S: case Op::F32ConvertI64U:
    case Op::F64ConvertI32S: case Op::F64ConvertI32U: case Op::F64ConvertI64S: case Op::F64ConvertI64U: return true;
    default: return false;
    }
}

// Instructions that may run with pending values on the stack (see pend_):
// they push values or consume pending ones only in ways that keep them alive.
bool FuncEmitter::keeps_pending(const Instr &in) const {
    if (const SimpleOp *s = find_simple_op(in.op)) {
        // A trapping op (division, float -> int) forces first: an unforced
        // load before it could be sunk past its trap, changing which trap
        // a program with both gets.
        if (std::strstr(s->tmpl, "(ctx, ")) return false;
        bool any = false;
        for (uint32_t i = 0; i < s->arity; i++) any |= pending(i) != kNone;
        if (!any) return true;  // pending values deeper in the stack are untouched
        // Float -> float arithmetic; comparisons, conversions to integer
        // and reinterpretations could let cc drop or fold the value.
        if (is_float(s->result)) {
            if (s->arity == 1 && !is_float(stack_.back()))
                return int_to_float_conversion(in.op) && pending(0) == kRaw;
            if (pending(0) == kConv || pending(0) == kConvScaled || (s->arity == 2 && (pending(1) == kConv ||
                                                                                     pending(1) == kConvScaled)))
                return scales_conversion(in.op);
            for (uint32_t i = 0; i < s->arity; i++)
                if (!is_float(stack_[stack_.size() - 1 - i])) return false;
            // copysign keeps only the sign bit of its second operand, and abs
            // or another copysign can drop that bit too: abs(copysign(2, x))
            // and copysign(1, abs(x)) are constants, so cc deleted the load
            // (gcc and clang -O2). A pending sign operand is forced first.
            if ((in.op == Op::F32Copysign || in.op == Op::F64Copysign) && pending(0) != kNone) return false;
            return true;
        }
        uint8_t w;
        return int_pending_result(in.op, w);
    }
    if (const MemOp *mo = find_mem_op(in.op)) {
        // Loads push; stores observe (see mem_access). A load's address is
        // no observation: the load itself could go.
        return mo->store || pending(0) == kNone;
    }
    switch (in.op) {
    case Op::Nop: case Op::LocalGet: case Op::GlobalGet: case Op::I32Const: case Op::I64Const:
    case Op::F32Const: case Op::F64Const: case Op::MemorySize: return true;
    default: return false;
    }
}

}  // namespace lucet::cgen
