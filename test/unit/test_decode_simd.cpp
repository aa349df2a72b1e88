// test_decode_simd.cpp: decoding fixed-width SIMD: the immediates of every
// instruction, illegal sub-opcodes, v128 in every position, uses_simd.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include "decode/instr.h"
#include "decode/simd_ops.h"
#include "frontend_util.h"

using namespace lucet;
using namespace fe_test;

namespace {

// The module `wat_text` assembles to, decoded.
Module decode_wat(const std::string &wat_text) {
    auto bytes = wat(wat_text);
    REQUIRE_FALSE(bytes.empty());
    auto r = decode_module(bytes);
    INFO(wat_text);
    REQUIRE(r.ok());
    return std::move(*r);
}

// The instructions of the first body of `wat_text`, in order.
std::vector<Instr> instrs_of(const std::string &wat_text) {
    Module m = decode_wat(wat_text);
    std::vector<Instr> out;
    InstrReader ir(m, m.code.at(0));
    Instr ins;
    while (!ir.done()) {
        REQUIRE(ir.next(ins).ok());
        out.push_back(ins);
    }
    return out;
}

void check_mem(const Instr &ins, Op op, uint64_t offset, uint32_t align, uint32_t lane) {
    CHECK(ins.op == op);
    CHECK(ins.mem.offset == offset);
    CHECK(ins.mem.align == align);
    CHECK(ins.index == lane);
}

bool module_uses_simd(const std::string &wat_text) { return decode_wat(wat_text).uses_simd; }

}  // namespace

TEST_CASE("decode: SIMD immediates", "[decode][simd]") {
    // v128.const: 16 little-endian bytes, bytes 0..7 in imm and 8..15 in imm2.
    auto v = instrs_of("(module (func (result v128) (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)))");
    REQUIRE(v.size() == 2);
    CHECK(v[0].op == Op::V128Const);
    CHECK(v[0].imm == 0x0706050403020100ull);
    CHECK(v[0].imm2 == 0x0f0e0d0c0b0a0908ull);
    v = instrs_of("(module (func (result v128) (v128.const i32x4 0x11223344 2 3 0x80000000)))");
    CHECK(v[0].imm == 0x0000000211223344ull);
    CHECK(v[0].imm2 == 0x8000000000000003ull);
    // i8x16.shuffle: lane k of imm/imm2 in bits 8k..8k+7.
    v = instrs_of("(module (func (param v128 v128) (result v128) (i8x16.shuffle 31 0 1 2 3 4 5 6 7 8 9 10 11 12 13 "
                  "30 (local.get 0) (local.get 1))))");
    REQUIRE(v.size() == 4);
    CHECK(v[2].op == Op::I8x16Shuffle);
    CHECK(v[2].imm == 0x060504030201001full);
    CHECK(v[2].imm2 == 0x1e0d0c0b0a090807ull);
    // Lane loads/stores: memarg, then the lane in index.
    v = instrs_of("(module (memory 1) (func (param i32 v128) (result v128)"
                  " (v128.store64_lane offset=9 align=4 1 (local.get 0) (local.get 1))"
                  " (v128.load16_lane offset=70000 align=1 7 (local.get 0) (local.get 1))))");
    REQUIRE(v.size() == 7);
    check_mem(v[2], Op::V128Store64Lane, 9, 2, 1);
    check_mem(v[5], Op::V128Load16Lane, 70000, 0, 7);
    // Plain loads, extract/replace_lane, no-immediate ops.
    v = instrs_of("(module (memory 1) (func (param i32) (result f64)"
                  " (f64x2.replace_lane 1 (v128.load8x8_u offset=3 (local.get 0)) (f64.const 2))"
                  " (f64x2.extract_lane 1) (f64x2.splat) (f64x2.sqrt) (f64x2.extract_lane 0)))");
    REQUIRE(v.size() == 9);
    check_mem(v[1], Op::V128Load8x8U, 3, 3, 0);
    CHECK(v[3].op == Op::F64x2ReplaceLane);
    CHECK(v[3].index == 1);
    CHECK(v[4].op == Op::F64x2ExtractLane);
    CHECK(v[4].index == 1);
    CHECK(v[5].op == Op::F64x2Splat);
    CHECK(v[6].op == Op::F64x2Sqrt);
    CHECK(v[7].index == 0);
    CHECK(std::string(op_name(v[6].op)) == "f64x2.sqrt");
}

TEST_CASE("decode: every SIMD opcode reads with its immediates", "[decode][simd]") {
    // Each of the 236 opcodes of opcodes.def, encoded by hand from its table
    // row, reads back as that opcode and consumes exactly its bytes.
    struct Named {
        Op op;
        const char *text;
    };
    static const Named all[] = {
#define X(name, code, text) {Op::name, text},
#include "decode/opcodes.def"
#undef X
    };
    int simd = 0;
    std::set<uint32_t> subs;
    for (const Named &n : all) {
        uint32_t code = static_cast<uint32_t>(n.op);
        if ((code & 0xff00) != 0xfd00) continue;
        ++simd;
        uint32_t sub = code & 0xff;
        subs.insert(sub);
        const SimdOpInfo &info = simd_info(sub);
        INFO(n.text);
        REQUIRE(info.sig != SimdSig::Invalid);
        std::vector<uint8_t> body{0x00, 0xfd};
        leb(body, sub);
        const size_t imm_start = body.size();
        switch (info.imm) {
        case SimdImm::None: break;
        case SimdImm::MemArg: body.insert(body.end(), {0x01, 0x85, 0x01}); break;                // align 1, offset 133
        case SimdImm::MemArgLane: body.insert(body.end(), {0x00, 0x05, 0x01}); break;            // align 0, offset 5, lane 1
        case SimdImm::Lane: body.push_back(0x01); break;
        case SimdImm::Bytes16: for (int i = 0; i < 16; ++i) body.push_back(uint8_t(i)); break;
        }
        size_t imm_len = body.size() - imm_start;
        body.push_back(0x0b);
        auto r = decode_module(one_func(body));
        REQUIRE(r.ok());
        CHECK(r->uses_simd);
        InstrReader ir(*r, r->code[0]);
        Instr ins;
        REQUIRE(ir.next(ins).ok());
        CHECK(ins.op == n.op);
        CHECK(ir.position() == r->code[0].body_offset + 1 + (sub < 0x80 ? 1 : 2) + imm_len);
        if (info.imm == SimdImm::MemArg) CHECK((ins.mem.align == 1 && ins.mem.offset == 133));
        if (info.imm == SimdImm::MemArgLane) CHECK((ins.mem.offset == 5 && ins.index == 1));
        if (info.imm == SimdImm::Lane) CHECK(ins.index == 1);
        if (info.imm == SimdImm::Bytes16) CHECK(ins.imm2 == 0x0f0e0d0c0b0a0908ull);
        CHECK(std::string(op_name(n.op)) == n.text);
        // Cut anywhere inside the instruction, the reader fails.
        const size_t first = r->code[0].body_offset;  // the 0xfd byte
        const size_t len = body.size() - 2;            // without the locals count and the end
        for (size_t cut = 1; cut < len; ++cut) {
            InstrReader part(*r, first, first + cut);
            INFO("cut at " << cut);
            CHECK_FALSE(part.next(ins).ok());
        }
    }
    CHECK(simd == 236);
    // Every row of the table has a name in opcodes.def.
    for (uint32_t sub = 0; sub < 256; ++sub)
        if (simd_info(sub).sig != SimdSig::Invalid) CHECK(subs.count(sub) == 1);
}

TEST_CASE("decode: illegal SIMD opcodes name the opcode and the offset", "[decode][simd]") {
    // 0x9a, 0xa2, 0xff+1 and a sub-opcode beyond a byte are no instructions.
    for (uint32_t sub : {0x9au, 0xa2u, 0xb0u, 0xeeu, 0x100u, 0x12345u}) {
        std::vector<uint8_t> body{0x00, 0x01, 0xfd};
        leb(body, sub);
        body.push_back(0x0b);
        auto bytes = one_func(body);
        auto r = decode_module(bytes);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == "illegal opcode 0xfd " + std::to_string(sub));
        REQUIRE(r.error().offset > 0);
        CHECK(bytes[size_t(r.error().offset)] == 0xfd);
    }
    // A redundant LEB encoding of a valid sub-opcode is fine; an over-long one is not.
    CHECK(decode_error(one_func({0x00, 0x41, 0x00, 0xfd, 0x8f, 0x80, 0x00, 0x1a, 0x0b})) == "");  // i8x16.splat
    CHECK(decode_error(one_func({0x00, 0xfd, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b})) == "integer representation too long");
    // The value type byte 0x7b is v128; 0x7a is nothing.
    CHECK(decode_error(one_func({0x00, 0x02, 0x7b, 0x00, 0x0b, 0x0b})) == "");
    CHECK(decode_error(one_func({0x00, 0x02, 0x7a, 0x0b, 0x0b})) != "");
}

TEST_CASE("decode: v128 in every position sets uses_simd; MVP modules do not", "[decode][simd]") {
    CHECK_FALSE(module_uses_simd("(module (func (param i32 i64 f32 f64) (result i32) (local externref funcref)"
                                 " (select (result i32) (i32.const 1) (i32.const 2) (local.get 0))))"));
    CHECK(module_uses_simd("(module (func (param v128)))"));
    CHECK(module_uses_simd("(module (func (result v128) unreachable))"));
    CHECK(module_uses_simd("(module (type (func (param v128))))"));
    CHECK(module_uses_simd("(module (func (local v128)))"));
    CHECK(module_uses_simd("(module (import \"m\" \"g\" (global v128)))"));
    CHECK(module_uses_simd("(module (import \"m\" \"g\" (global (mut v128))) (export \"g\" (global 0)))"));
    CHECK(module_uses_simd("(module (func (block (result v128) unreachable) drop))"));
    CHECK(module_uses_simd("(module (func (param i32) (drop (select (result v128) (unreachable) (unreachable) "
                           "(local.get 0)))))"));
    // Only an instruction, no v128 in any type.
    CHECK(module_uses_simd("(module (func (result i32) (v128.any_true (v128.const i64x2 0 0))))"));
    // The const expression of a global.
    auto r = std::optional<Module>(decode_wat("(module (global $g v128 (v128.const i32x4 1 2 3 0xfffffffe)) "
                                              "(export \"g\" (global $g)))"));
    CHECK(r->uses_simd);
    REQUIRE(r->globals.size() == 1);
    CHECK(r->globals[0].type.type == ValType::V128);
    CHECK(r->globals[0].init.kind == ConstExpr::Kind::V128);
    CHECK(r->globals[0].init.type == ValType::V128);
    CHECK(r->globals[0].init.value == 0x0000000200000001ull);
    CHECK(r->globals[0].init.value_hi == 0xfffffffe00000003ull);
    CHECK(validate_module(*r).ok());
}

TEST_CASE("decode: uses_simd is false for every MVP spec module, true for the SIMD ones", "[decode][simd][spec]") {
    const auto &files = spec_wasm_files();
    REQUIRE(files.size() > 4000);
    int mvp = 0, simd = 0, simd_flagged = 0;
    for (const std::string &f : files) {
        auto r = decode_module(read_file(f));
        if (!r.ok()) continue;
        bool simd_file = std::filesystem::path(f).filename().string().rfind("simd_", 0) == 0;
        if (simd_file) {
            ++simd;
            simd_flagged += r->uses_simd;
        } else {
            ++mvp;
            INFO(f);
            CHECK_FALSE(r->uses_simd);
        }
    }
    std::printf("uses_simd: %d MVP spec modules all false, %d of %d SIMD spec modules true\n", mvp, simd_flagged,
                simd);
    CHECK(mvp > 2500);
    CHECK(simd_flagged > 1000);
}
