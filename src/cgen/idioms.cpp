// idioms.cpp: recognising whole function bodies (see idioms.h).
#include "cgen/idioms.h"

namespace lucet::cgen {

namespace {

struct Step {
    Op op;
    uint64_t arg;  // local index, constant bits or store offset; 0 otherwise
};

// The body as clang -O2 emits it for compiler-rt's __multi3 with a_hi = b_hi
// = 0 (locals: 0 = out, 1 = a, 2 = b, 3..5 i64 temporaries). With
// aL/aH/bL/bH the 32-bit halves: t = aL*bL; u = (t >> 32) + bL*aH;
// v = aL*bH + (u & M); hi = aH*bH + (u >> 32) + (v >> 32);
// lo = (t & M) | (v << 32), which is the schoolbook 128-bit product.
constexpr uint64_t M = 0xffffffffull;
constexpr Step kMulWideU64[] = {
    {Op::LocalGet, 0}, {Op::LocalGet, 2}, {Op::I64Const, 32}, {Op::I64ShrU, 0}, {Op::LocalTee, 3},
    {Op::LocalGet, 1}, {Op::I64Const, 32}, {Op::I64ShrU, 0}, {Op::LocalTee, 4}, {Op::I64Mul, 0},
    {Op::LocalGet, 2}, {Op::I64Const, M}, {Op::I64And, 0}, {Op::LocalTee, 2},
    {Op::LocalGet, 1}, {Op::I64Const, M}, {Op::I64And, 0}, {Op::LocalTee, 1}, {Op::I64Mul, 0}, {Op::LocalTee, 5},
    {Op::I64Const, 32}, {Op::I64ShrU, 0}, {Op::LocalGet, 2}, {Op::LocalGet, 4}, {Op::I64Mul, 0}, {Op::I64Add, 0},
    {Op::LocalTee, 2}, {Op::I64Const, 32}, {Op::I64ShrU, 0}, {Op::I64Add, 0},
    {Op::LocalGet, 1}, {Op::LocalGet, 3}, {Op::I64Mul, 0}, {Op::LocalGet, 2}, {Op::I64Const, M}, {Op::I64And, 0},
    {Op::I64Add, 0}, {Op::LocalTee, 2}, {Op::I64Const, 32}, {Op::I64ShrU, 0}, {Op::I64Add, 0},
    {Op::I64Store, 8},
    {Op::LocalGet, 0}, {Op::LocalGet, 5}, {Op::I64Const, M}, {Op::I64And, 0}, {Op::LocalGet, 2},
    {Op::I64Const, 32}, {Op::I64Shl, 0}, {Op::I64Or, 0},
    {Op::I64Store, 0},
    {Op::End, 0},
};

uint64_t step_arg(const Instr &in) {
    switch (in.op) {
    case Op::LocalGet: case Op::LocalTee: case Op::LocalSet: return in.index;
    case Op::I64Const: return in.imm;
    case Op::I64Store: return in.mem.offset;
    default: return 0;
    }
}

}  // namespace

bool match_mul_wide_u64(const Module &m, const Function &f, const FuncType &ft, MulWideU64 &out) {
    if (ft.params != std::vector<ValType>{ValType::I32, ValType::I64, ValType::I64} || !ft.results.empty())
        return false;
    if (f.locals != std::vector<ValType>{ValType::I64, ValType::I64, ValType::I64}) return false;
    InstrReader r(m, f);
    Instr in;
    for (const Step &s : kMulWideU64) {
        if (r.done() || !r.next(in).ok()) return false;
        if (in.op != s.op || step_arg(in) != s.arg) return false;
        if (in.op == Op::I64Store) {
            (s.arg == 8 ? out.hi_store : out.lo_store) = in.mem;
            (s.arg == 8 ? out.hi_offset : out.lo_offset) = in.offset;
        }
    }
    return r.done();  // the final end was the body's last instruction
}

}  // namespace lucet::cgen
