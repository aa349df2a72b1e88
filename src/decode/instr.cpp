// instr.cpp: InstrReader (one instruction at a time) and op_name.
#include "decode/instr.h"

#include <array>
#include <cstdio>
#include <string>

#include "decode/reader.h"
#include "decode/proposals.h"
#include "decode/simd_ops.h"

namespace lucet {

namespace {

// Which single-byte opcodes and which 0xFC sub-opcodes exist, generated from
// opcodes.def so the two lists can never disagree.
struct OpTables {
    std::array<const char *, 256> single{};
    std::array<const char *, 32> fc{};
    std::array<const char *, 256> fd{};
    constexpr OpTables() {
#define X(name, code, text)                                        \
    if ((code) < 0x100) single[(code)] = text;                     \
    else if (((code) & 0xff00) == 0xfc00) fc[(code) & 0xff] = text; \
    else fd[(code) & 0xff] = text;
#include "decode/opcodes.def"
#undef X
    }
};
constexpr OpTables kOps{};

std::string hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", v);
    return buf;
}

}  // namespace

const char *op_name(Op op) {
    uint32_t c = static_cast<uint32_t>(op);
    if (c < 0x100) return kOps.single[c] ? kOps.single[c] : "<unknown>";
    if ((c & 0xff00) == 0xfc00 && (c & 0xff) < kOps.fc.size() && kOps.fc[c & 0xff]) return kOps.fc[c & 0xff];
    if ((c & 0xff00) == 0xfd00 && kOps.fd[c & 0xff]) return kOps.fd[c & 0xff];
    return "<unknown>";
}

InstrReader::InstrReader(const Module &m, const Function &f) : m_(m), pos_(f.body_offset), end_(f.body_end) {}

InstrReader::InstrReader(const Module &m, size_t begin, size_t end) : m_(m), pos_(begin), end_(end) {}

namespace {

// A value type byte in an instruction immediate (block type, select t*).
Status read_valtype(detail::ByteReader &r, ValType &out) {
    size_t at = r.pos();
    uint8_t b = 0;
    LUCET_TRY(r.u8(b));
    switch (b) {
    case 0x7f: case 0x7e: case 0x7d: case 0x7c: case 0x7b: case 0x70: case 0x6f:
        out = static_cast<ValType>(b);
        return {};
    default:
        return make_error("malformed value type " + hex(b), static_cast<std::ptrdiff_t>(at));
    }
}

Status read_memarg(detail::ByteReader &r, MemArg &out) {
    uint32_t align = 0, offset = 0;
    LUCET_TRY(r.u32(align));
    LUCET_TRY(r.u32(offset));
    out.align = align;
    out.offset = offset;
    return {};
}

// The reserved memory index byte of memory.size/grow/copy/fill/init: in 2.0
// it is a single byte that must be zero (a LEB-encoded zero is malformed).
Status zero_byte(detail::ByteReader &r) {
    size_t at = r.pos();
    uint8_t b = 0;
    LUCET_TRY(r.u8(b));
    if (b != 0) return make_error("zero byte expected", static_cast<std::ptrdiff_t>(at));
    return {};
}

Status read_blocktype(detail::ByteReader &r, BlockType &out) {
    size_t at = r.pos();
    uint8_t b = 0;
    LUCET_TRY(r.u8(b));
    if (b == 0x40) {
        out.kind = BlockType::Kind::Empty;
        return {};
    }
    if (b == 0x7f || b == 0x7e || b == 0x7d || b == 0x7c || b == 0x7b || b == 0x70 || b == 0x6f) {
        out.kind = BlockType::Kind::Value;
        out.value = static_cast<ValType>(b);
        return {};
    }
    // Otherwise a type index encoded as a non-negative s33.
    r.seek(at);
    int64_t v = 0;
    LUCET_TRY(r.sleb<33>(v));
    if (v < 0) return make_error("malformed block type", static_cast<std::ptrdiff_t>(at));
    if (v > 0xffffffffll) return make_error("integer too large", static_cast<std::ptrdiff_t>(at));
    out.kind = BlockType::Kind::TypeIndex;
    out.type_index = static_cast<uint32_t>(v);
    return {};
}

// The immediates of a SIMD instruction (after its sub-opcode).
Status read_simd_immediates(detail::ByteReader &r, SimdImm imm, Instr &out) {
    switch (imm) {
    case SimdImm::None:
        return {};
    case SimdImm::MemArg:
        return read_memarg(r, out.mem);
    case SimdImm::MemArgLane:
        LUCET_TRY(read_memarg(r, out.mem));
        [[fallthrough]];
    case SimdImm::Lane: {
        uint8_t lane = 0;
        LUCET_TRY(r.u8(lane));
        out.index = lane;
        return {};
    }
    case SimdImm::Bytes16:
        LUCET_TRY(r.fixed64(out.imm));
        return r.fixed64(out.imm2);
    }
    return {};
}

}  // namespace

namespace {

// Classes of single-byte opcodes for the fast path of InstrReader::next.
enum : uint8_t { kSlow = 0, kNoImm = 1, kIndexImm = 2 };

struct FastClasses {
    std::array<uint8_t, 256> cls{};
    constexpr FastClasses() {
        for (int c = 0; c < 256; ++c) {
            if (!kOps.single[c]) continue;
            bool has_imm = (c >= 0x02 && c <= 0x04) || (c >= 0x0c && c <= 0x0e) || c == 0x10 || c == 0x11 ||
                           c == 0x1c || (c >= 0x20 && c <= 0x26) || (c >= 0x28 && c <= 0x44) || c == 0xd0 ||
                           c == 0xd2;
            if (!has_imm) cls[c] = kNoImm;
        }
        // Opcodes whose only immediate is one u32 index.
        for (int c : {0x0c, 0x0d, 0x10, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0xd2}) cls[c] = kIndexImm;
    }
};
constexpr FastClasses kFast{};

}  // namespace

Status InstrReader::next(Instr &out) {
    // Fast paths for the common cases (no immediate, or one single-byte LEB
    // immediate); everything else goes through the bounded ByteReader below.
    const uint8_t *d = m_.bytes.data();
    if (pos_ < end_) {
        const uint8_t b0 = d[pos_];
        const uint8_t cls = kFast.cls[b0];
        if (cls == kNoImm) {
            out.offset = pos_++;
            out.op = static_cast<Op>(b0);
            return {};
        }
        if (pos_ + 1 < end_ && !(d[pos_ + 1] & 0x80)) {
            if (cls == kIndexImm) {
                out.offset = pos_;
                out.op = static_cast<Op>(b0);
                out.index = d[pos_ + 1];
                pos_ += 2;
                return {};
            }
            if (b0 == 0x41) {  // i32.const with a one-byte s32
                out.offset = pos_;
                out.op = Op::I32Const;
                uint8_t v = d[pos_ + 1];
                out.imm = static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(static_cast<uint8_t>(v << 1)) >> 1));
                pos_ += 2;
                return {};
            }
        }
    }
    detail::ByteReader r(d, pos_, end_, m_.bytes.size());
    size_t at = pos_;
    out.offset = at;
    uint8_t b = 0;
    LUCET_TRY(r.u8(b));
    uint32_t code = b;
    if (b == 0xfc) {
        uint32_t sub = 0;
        LUCET_TRY(r.u32(sub));
        if (sub >= kOps.fc.size() || !kOps.fc[sub])
            return make_error("illegal opcode 0xfc " + std::to_string(sub), static_cast<std::ptrdiff_t>(at));
        code = 0xfc00 | sub;
    } else if (b == 0xfd) {
        uint32_t sub = 0;
        LUCET_TRY(r.u32(sub));
        if (sub > 0xff || !kOps.fd[sub])
            return make_error("illegal opcode 0xfd " + std::to_string(sub), static_cast<std::ptrdiff_t>(at));
        out.op = static_cast<Op>(0xfd00 | sub);
        LUCET_TRY(read_simd_immediates(r, simd_info(sub).imm, out));
        pos_ = r.pos();
        return {};
    } else if (!kOps.single[b]) {
        return make_error("illegal opcode " + hex(b) + proposals::opcode(b), static_cast<std::ptrdiff_t>(at));
    }
    Op op = static_cast<Op>(code);
    out.op = op;

    switch (op) {
    case Op::Block:
    case Op::Loop:
    case Op::If:
        LUCET_TRY(read_blocktype(r, out.block));
        break;
    case Op::Br:
    case Op::BrIf:
    case Op::Call:
    case Op::RefFunc:
    case Op::LocalGet:
    case Op::LocalSet:
    case Op::LocalTee:
    case Op::GlobalGet:
    case Op::GlobalSet:
    case Op::TableGet:
    case Op::TableSet:
    case Op::TableSize:
    case Op::TableGrow:
    case Op::TableFill:
    case Op::ElemDrop:
    case Op::DataDrop:
        LUCET_TRY(r.u32(out.index));
        break;
    case Op::BrTable: {
        uint32_t n = 0;
        LUCET_TRY(r.u32(n));
        // Each target takes at least one byte: reject absurd counts before
        // allocating.
        if (n > r.remaining()) return r.eof_error(r.end());
        out.targets.clear();
        out.targets.reserve(n);
        for (uint32_t i = 0; i < n; ++i) {
            uint32_t t = 0;
            LUCET_TRY(r.u32(t));
            out.targets.push_back(t);
        }
        LUCET_TRY(r.u32(out.index));
        break;
    }
    case Op::CallIndirect:
        LUCET_TRY(r.u32(out.index));
        LUCET_TRY(r.u32(out.index2));
        break;
    case Op::TableCopy:
    case Op::TableInit:
        // table.init: elem segment then table; table.copy: dst then src.
        if (op == Op::TableInit) {
            LUCET_TRY(r.u32(out.index2));
            LUCET_TRY(r.u32(out.index));
        } else {
            LUCET_TRY(r.u32(out.index));
            LUCET_TRY(r.u32(out.index2));
        }
        break;
    case Op::MemoryInit:
        LUCET_TRY(r.u32(out.index));
        LUCET_TRY(zero_byte(r));
        break;
    case Op::MemoryCopy:
        LUCET_TRY(zero_byte(r));
        LUCET_TRY(zero_byte(r));
        break;
    case Op::MemoryFill:
    case Op::MemorySize:
    case Op::MemoryGrow:
        LUCET_TRY(zero_byte(r));
        break;
    case Op::I32Const: {
        int64_t v = 0;
        LUCET_TRY(r.sleb<32>(v));
        out.imm = static_cast<uint32_t>(v);
        break;
    }
    case Op::I64Const: {
        int64_t v = 0;
        LUCET_TRY(r.sleb<64>(v));
        out.imm = static_cast<uint64_t>(v);
        break;
    }
    case Op::F32Const: {
        uint32_t v = 0;
        LUCET_TRY(r.fixed32(v));
        out.imm = v;
        break;
    }
    case Op::F64Const:
        LUCET_TRY(r.fixed64(out.imm));
        break;
    case Op::RefNull: {
        size_t tat = r.pos();
        uint8_t t = 0;
        LUCET_TRY(r.u8(t));
        if (t != 0x70 && t != 0x6f) return make_error("malformed reference type", static_cast<std::ptrdiff_t>(tat));
        out.type = static_cast<ValType>(t);
        break;
    }
    case Op::SelectT: {
        uint32_t n = 0;
        LUCET_TRY(r.u32(n));
        if (n > r.remaining()) return r.eof_error(r.end());
        out.types.clear();
        for (uint32_t i = 0; i < n; ++i) {
            ValType t = ValType::I32;
            LUCET_TRY(read_valtype(r, t));
            out.types.push_back(t);
        }
        break;
    }
    default:
        if ((code >= 0x28 && code <= 0x3e)) LUCET_TRY(read_memarg(r, out.mem));
        break;
    }
    pos_ = r.pos();
    return {};
}

}  // namespace lucet
