// test_validate.cpp: the validator, rule by rule, and a sweep of the core spec
// test suite through the decoder and validator.
#include <catch2/catch.hpp>

#include <dirent.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "decode/decoder.h"
#include "frontend_util.h"
#include "../spec/spec_messages.h"
#include "validate/validator.h"

using namespace lucet;
using namespace fe_test;

namespace {

// The validator's error for a well-formed module (wat2wasm --no-check).
Error validate_error(const std::string &text, size_t *size = nullptr) {
    auto bytes = wat(text, /*check=*/false);
    if (bytes.empty()) return make_error("wat2wasm failed");
    if (size) *size = bytes.size();
    auto r = decode_module(std::move(bytes));
    if (!r.ok()) return make_error("decode: " + r.error().message);
    Status st = validate_module(*r);
    return st.ok() ? make_error("") : st.error();
}

}  // namespace

TEST_CASE("validate: operand types", "[validate]") {
    VALID("(module (func (result i32) (i32.add (i32.const 1) (i32.const 2))))");
    INVALID("(module (func (result i32) (i32.add (i32.const 1) (i64.const 2))))", "type mismatch");
    INVALID("(module (func (result i32) (i64.const 2)))", "type mismatch");
    INVALID("(module (func (i32.const 1)))", "type mismatch");
    INVALID("(module (func (result i32)))", "type mismatch");
    INVALID("(module (func (drop)))", "type mismatch");
    VALID("(module (func (result f64) (f64.convert_i64_u (i64.extend_i32_s (i32.const -1)))))");
    INVALID("(module (func (result f32) (f32.demote_f64 (f32.const 1))))", "type mismatch");
    VALID("(module (func (result i64) (i64.trunc_sat_f64_s (f64.const 1))))");
    VALID("(module (func (result i32) (i32.extend8_s (i32.const 1))))");
}

TEST_CASE("validate: control flow and polymorphic stack", "[validate]") {
    VALID("(module (func (result i32) (block (result i32) (br 0 (i32.const 1)))))");
    VALID("(module (func (result i32) (unreachable) (i32.add)))");
    VALID("(module (func (result i32) (return (i32.const 1)) (i64.const 2) (drop)))");
    VALID("(module (func (result i32) (loop (result i32) (br_if 0 (i32.const 0)) (i32.const 3))))");
    INVALID("(module (func (result i32) (unreachable) (i64.const 1)))", "type mismatch");
    INVALID("(module (func (br 1)))", "unknown label");
    INVALID("(module (func (block (result i32) (br 0))))", "type mismatch");
    INVALID("(module (func (result i32) (if (result i32) (i32.const 1) (then (i32.const 1)))))", "type mismatch");
    VALID("(module (func (result i32) (if (result i32) (i32.const 1) (then (i32.const 1)) (else (i32.const 2)))))");
    INVALID("(module (func (if (i64.const 1) (then))))", "type mismatch");
    // Multi-value blocks with parameters.
    VALID("(module (type $t (func (param i32 i32) (result i32)))"
          " (func (result i32) (i32.const 1) (i32.const 2) (block (type $t) (i32.add))))");
    INVALID("(module (type $t (func (param i32 i32) (result i32)))"
            " (func (result i32) (i32.const 1) (block (type $t) (i32.add))))",
            "type mismatch");
    {
        auto r = decode_module(one_func({0x00, 0x02, 0x07, 0x0b, 0x0b}));  // block (type 7)
        REQUIRE(r.ok());
        Status st = validate_module(*r);
        REQUIRE_FALSE(st.ok());
        CHECK(starts_with(st.error().message, "unknown type"));
    }
    // br_table arities.
    VALID("(module (func (result i32) (block (result i32) (br_table 0 1 (i32.const 1) (i32.const 0)))))");
    INVALID("(module (func (result i32) (block (br_table 0 1 (i32.const 1) (i32.const 0))) (i32.const 0)))",
            "type mismatch");
    VALID("(module (func (unreachable) (br_table 0 0)))");
    // select.
    VALID("(module (func (result i32) (select (i32.const 1) (i32.const 2) (i32.const 0))))");
    INVALID("(module (func (result i32) (select (i32.const 1) (i64.const 2) (i32.const 0))))", "type mismatch");
    INVALID("(module (func (param funcref funcref) (drop (select (local.get 0) (local.get 1) (i32.const 0)))))",
            "type mismatch");
    VALID("(module (func (param funcref funcref) (drop (select (result funcref) (local.get 0) (local.get 1) "
          "(i32.const 0)))))");
    VALID("(module (func (unreachable) (select) (drop)))");
}

TEST_CASE("validate: invalid result arity of select", "[validate]") {
    // select with two types: hand-written since the text format rejects it.
    auto m = one_func({0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0x1c, 0x02, 0x7f, 0x7f, 0x1a, 0x0b});
    auto r = decode_module(m);
    REQUIRE(r.ok());
    Status st = validate_module(*r);
    REQUIRE_FALSE(st.ok());
    CHECK(starts_with(st.error().message, "invalid result arity"));
    CHECK(st.error().offset > 0);
}

TEST_CASE("validate: indices", "[validate]") {
    INVALID("(module (func (local.get 0) (drop)))", "unknown local");
    INVALID("(module (func (param i32) (local i64) (local.set 2 (i32.const 0))))", "unknown local");
    INVALID("(module (func (global.get 0) (drop)))", "unknown global");
    INVALID("(module (func (call 3)))", "unknown function");
    INVALID("(module (func (call_indirect (type 0) (i32.const 0))) (type (func)))", "unknown table");
    INVALID("(module (table 1 funcref) (func (call_indirect (type 9) (i32.const 0))))", "unknown type");
    INVALID("(module (func (drop (i32.load (i32.const 0)))))", "unknown memory");
    INVALID("(module (func (drop (memory.size))))", "unknown memory");
    INVALID("(module (memory 1) (data \"a\") (func (data.drop 1)))", "unknown data segment");
    INVALID("(module (table 1 funcref) (func (elem.drop 0)))", "unknown elem segment");
    INVALID("(module (table 1 funcref) (func (table.init 0 3 (i32.const 0) (i32.const 0) (i32.const 0))))",
            "unknown elem segment");
    INVALID("(module (func (drop (table.size 0))))", "unknown table");
    INVALID("(module (func (drop (ref.func 5))))", "unknown function");
    INVALID("(module (export \"x\" (func 4)))", "unknown function");
    INVALID("(module (start 2))", "unknown function");
    INVALID("(module (data (memory 0) (i32.const 0) \"\"))", "unknown memory");
    INVALID("(module (elem (table 0) (i32.const 0) func))", "unknown table");
    INVALID("(module (func (type 3)))", "unknown type");
}

TEST_CASE("validate: memories, tables and limits", "[validate]") {
    VALID("(module (memory 1 65536))");
    INVALID("(module (memory 65537))", "memory size must be at most 65536 pages (4GiB)");
    INVALID("(module (memory 1 65537))", "memory size must be at most 65536 pages (4GiB)");
    INVALID("(module (memory 2 1))", "size minimum must not be greater than maximum");
    INVALID("(module (table 2 1 funcref))", "size minimum must not be greater than maximum");
    INVALID("(module (import \"a\" \"m\" (memory 0)) (memory 0))", "multiple memories");
    VALID("(module (table 1 funcref) (table 1 externref))");
    INVALID("(module (memory 1) (func (drop (i32.load align=8 (i32.const 0)))))",
            "alignment must not be larger than natural");
    INVALID("(module (memory 1) (func (i64.store16 align=4 (i32.const 0) (i64.const 0))))",
            "alignment must not be larger than natural");
    VALID("(module (memory 1) (func (drop (i64.load align=8 (i32.const 0)))))");
    // Table element types.
    INVALID("(module (table 1 externref) (func (call_indirect (i32.const 0))))", "type mismatch");
    INVALID("(module (table 1 funcref) (table 1 externref) (func (table.copy 0 1 (i32.const 0) (i32.const 0) "
            "(i32.const 0))))",
            "type mismatch");
    INVALID("(module (table 1 externref) (elem (i32.const 0) func) )", "type mismatch");
    VALID("(module (table 1 externref) (func (param externref) (table.set 0 (i32.const 0) (local.get 0))))");
    INVALID("(module (table 1 externref) (func (param funcref) (table.set 0 (i32.const 0) (local.get 0))))",
            "type mismatch");
}

TEST_CASE("validate: globals and constant expressions", "[validate]") {
    INVALID("(module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))", "global is immutable");
    VALID("(module (global (mut i32) (i32.const 0)) (func (global.set 0 (i32.const 1))))");
    INVALID("(module (global i32 (i64.const 0)))", "type mismatch");
    INVALID("(module (global i32 (i32.add (i32.const 0) (i32.const 1))))", "decode: constant expression required");
    INVALID("(module (global i32 (nop) (i32.const 1)))", "decode: constant expression required");
    INVALID("(module (global i32 (i32.const 0) (i32.const 1)))", "decode: type mismatch");
    INVALID("(module (global i32))", "decode: type mismatch");
    VALID("(module (import \"a\" \"g\" (global i32)) (global i32 (global.get 0)))");
    INVALID("(module (import \"a\" \"g\" (global (mut i32))) (global i32 (global.get 0)))",
            "constant expression required");
    INVALID("(module (global i32 (i32.const 0)) (global i32 (global.get 0)))", "unknown global");
    INVALID("(module (global i32 (global.get 5)))", "unknown global");
    VALID("(module (global funcref (ref.func 0)) (func))");
    VALID("(module (global externref (ref.null extern)))");
    INVALID("(module (global externref (ref.null func)))", "type mismatch");
    INVALID("(module (memory 1) (data (i64.const 0) \"\"))", "type mismatch");
}

TEST_CASE("validate: exports, start, function references", "[validate]") {
    INVALID("(module (func) (export \"a\" (func 0)) (export \"a\" (func 0)))", "duplicate export name");
    VALID("(module (func) (export \"a\" (func 0)) (export \"b\" (func 0)))");
    INVALID("(module (func (param i32)) (start 0))", "start function");
    INVALID("(module (func (result i32) (i32.const 0)) (start 0))", "start function");
    VALID("(module (func) (start 0))");
    // ref.func needs the function declared elsewhere (C.refs).
    INVALID("(module (func $f (drop (ref.func $f))))", "undeclared function reference");
    VALID("(module (func $f (drop (ref.func $f))) (elem declare func $f))");
    VALID("(module (func $f (drop (ref.func $f))) (export \"f\" (func $f)))");
    VALID("(module (func $f (drop (ref.func $f))) (global funcref (ref.func $f)))");
    // ref.is_null needs a reference.
    INVALID("(module (func (drop (ref.is_null (i32.const 0)))))", "type mismatch");
    VALID("(module (func (drop (ref.is_null (ref.null extern)))))");
}

TEST_CASE("validate: bulk memory and table ops", "[validate]") {
    VALID("(module (memory 1) (data \"ab\") (func (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 1)) "
          "(data.drop 0)))");
    INVALID("(module (memory 1) (data \"ab\") (func (memory.init 1 (i32.const 0) (i32.const 0) (i32.const 1))))",
            "unknown data segment");
    INVALID("(module (memory 1) (func (memory.copy (i32.const 0) (i32.const 0) (i64.const 1))))", "type mismatch");
    VALID("(module (memory 1) (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 1))))");
    VALID("(module (table 1 funcref) (elem func 0) (func (table.init 0 (i32.const 0) (i32.const 0) (i32.const 1)) "
          "(elem.drop 0)))");
    INVALID("(module (table 1 externref) (elem funcref (ref.null func)) (func (table.init 0 (i32.const 0) "
            "(i32.const 0) (i32.const 1))))",
            "type mismatch");
    VALID("(module (table 1 funcref) (func (result i32) (table.grow 0 (ref.null func) (i32.const 1))))");
    INVALID("(module (table 1 funcref) (func (result i32) (table.grow 0 (ref.null extern) (i32.const 1))))",
            "type mismatch");
}

// Regression (mutation fuzzing): errors about imports, exports, tables,
// memories and the start function had no offset, so lucetc printed them
// without "at offset", and an export name with a newline split the message.
TEST_CASE("validate: module-level errors name an offset and stay on one line", "[validate]") {
    const char *cases[][2] = {
        {"(module (func) (export \"a\" (func 0)) (export \"a\" (func 0)))", "duplicate export name \"a\""},
        {"(module (export \"x\" (func 4)))", "unknown function 4 in export \"x\""},
        {"(module (export \"x\" (table 0)))", "unknown table 0"},
        {"(module (export \"x\" (memory 1)))", "unknown memory 1"},
        {"(module (export \"x\" (global 0)))", "unknown global 0"},
        {"(module (start 2))", "unknown function 2 (start)"},
        {"(module (func (param i32)) (start 0))", "start function must have type [] -> []"},
        {"(module (memory 65537))", "memory size must be at most 65536 pages"},
        {"(module (import \"a\" \"m\" (memory 2 1)))", "size minimum must not be greater than maximum"},
        {"(module (table 2 1 funcref))", "size minimum must not be greater than maximum"},
        {"(module (import \"a\" \"m\" (memory 0)) (memory 0))", "multiple memories"},
        {"(module (func (export \"a\\0ab\\\"\")) (export \"a\\0ab\\\"\" (func 0)))",
         "duplicate export name \"a\\0ab\\22\""},
    };
    for (auto &c : cases) {
        size_t size = 0;
        Error e = validate_error(c[0], &size);
        INFO(c[0] << " -> " << e.message);
        CHECK(starts_with(e.message, c[1]));
        CHECK(e.offset > 8);
        CHECK(size_t(e.offset) < size);
        CHECK(e.message.find('\n') == std::string::npos);
        CHECK(e.to_string().find("at offset 0x") == 0);
    }
    // An imported function of an unknown type: the offset is its import.
    auto m = header();
    section(m, 2, {1, 1, 'a', 1, 'f', 0x00, 7});
    auto r = decode_module(m);
    REQUIRE(r.ok());
    Status st = validate_module(*r);
    REQUIRE_FALSE(st.ok());
    CHECK(starts_with(st.error().message, "unknown type 7 (function 0)"));
    CHECK(st.error().offset == 15);
}

// Regression (mutation fuzzing): a 4-byte `block (type t) unreachable end`
// moves all of t's params and results, so a few hundred KB of them with a
// type of arity 1000 took seconds per MB (and with larger arities, minutes).
// The validator caps the values moved by spans per module.
TEST_CASE("validate: multi-value work is bounded", "[validate]") {
    auto build = [](uint32_t arity, uint32_t nblocks) {
        auto m = header();
        std::vector<uint8_t> types{2, 0x60};
        leb(types, arity);
        types.insert(types.end(), arity, 0x7f);
        leb(types, arity);
        types.insert(types.end(), arity, 0x7f);
        types.insert(types.end(), {0x60, 0});
        leb(types, arity);
        types.insert(types.end(), arity, 0x7f);
        section(m, 1, types);
        section(m, 3, {1, 1});
        std::vector<uint8_t> body{0x00, 0x00};  // no locals; unreachable
        for (uint32_t i = 0; i < nblocks; ++i) body.insert(body.end(), {0x02, 0x00, 0x00, 0x0b});
        body.push_back(0x0b);
        std::vector<uint8_t> code{1};
        leb(code, body.size());
        code.insert(code.end(), body.begin(), body.end());
        section(m, 10, code);
        return m;
    };
    // Moderate use is valid.
    auto ok = decode_module(build(100, 1000));
    REQUIRE(ok.ok());
    CHECK(validate_module(*ok).ok());
    // 1.75 M blocks of arity 1000 (7 MB): rejected, quickly.
    auto t0 = std::chrono::steady_clock::now();
    auto big = decode_module(build(1000, 1750000));
    REQUIRE(big.ok());
    Status st = validate_module(*big);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE_FALSE(st.ok());
    CHECK(starts_with(st.error().message, "implementation limit: multi-value blocks, branches and calls move"));
    CHECK(st.error().offset > 0);
    CHECK(secs < 20.0);

    // One br_table of 2 M targets to a label of arity 1000 (2 MB): the budget
    // is checked per target, not only after the instruction (that took 18 s).
    auto m = header();
    std::vector<uint8_t> types{2, 0x60, 0};
    leb(types, 1000);
    types.insert(types.end(), 1000, 0x7f);
    types.insert(types.end(), {0x60, 0, 0});
    section(m, 1, types);
    section(m, 3, {1, 1});
    std::vector<uint8_t> body{0x00, 0x02, 0x00, 0x00, 0x0e};  // block (type 0) unreachable br_table
    leb(body, 2000000);
    body.insert(body.end(), 2000000 + 1, 0x00);
    body.push_back(0x0b);
    body.insert(body.end(), 1000, 0x1a);
    body.push_back(0x0b);
    std::vector<uint8_t> code{1};
    leb(code, body.size());
    code.insert(code.end(), body.begin(), body.end());
    section(m, 10, code);
    t0 = std::chrono::steady_clock::now();
    auto brt = decode_module(m);
    REQUIRE(brt.ok());
    st = validate_module(*brt);
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE_FALSE(st.ok());
    CHECK(starts_with(st.error().message, "implementation limit: multi-value blocks, branches and calls move"));
    CHECK(secs < 20.0);
}

TEST_CASE("validate: the operand stack height is capped at 50000", "[validate]") {
    // (func (result) i32.const 0 x n, drop x n)
    auto build = [](uint32_t n) {
        std::vector<uint8_t> body{0x00};
        for (uint32_t i = 0; i < n; ++i) body.insert(body.end(), {0x41, 0x00});
        body.insert(body.end(), n, 0x1a);
        body.push_back(0x0b);
        return one_func(body);
    };
    auto ok = decode_module(build(50000));
    REQUIRE(ok.ok());
    CHECK(validate_module(*ok).ok());
    auto deep = decode_module(build(50001));
    REQUIRE(deep.ok());
    Status st = validate_module(*deep);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message == "implementation limit: operand stack deeper than 50000 values");
    CHECK(st.error().offset > 0);
}

// Every module wast2json produces from the core spec suite (SIMD included):
// `module` (and the modules of assert_trap/assert_unlinkable/
// assert_uninstantiable/assert_return actions) must be accepted;
// assert_invalid (binary) must be rejected by the validator;
// assert_malformed (binary) must be rejected by the decoder.
TEST_CASE("validate: spec test suite front-end sweep", "[validate][spec]") {
    std::string spec = tool("LUCET_SPEC_DIR", "/work/shared/spec-testsuite");
    std::string wast2json = tool("LUCET_TEST_WAST2JSON", "wast2json");
    std::vector<std::string> files;
    if (DIR *d = opendir(spec.c_str())) {
        while (dirent *e = readdir(d)) {
            std::string n = e->d_name;
            if (n.size() > 5 && n.substr(n.size() - 5) == ".wast") files.push_back(n);
        }
        closedir(d);
    }
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() > 50);

    struct Counts {
        int total = 0, passed = 0, msg_match = 0, by_decoder = 0;
    };
    std::map<std::string, Counts> counts;
    std::vector<std::string> failures;
    std::string out = temp_dir() + "/spec";
    std::system(("mkdir -p " + shell_quote(out)).c_str());

    for (const std::string &f : files) {
        std::string stem = f.substr(0, f.size() - 5);
        std::string json_path = out + "/" + stem + ".json";
        std::string cmd = shell_quote(wast2json) + " " + shell_quote(spec + "/" + f) + " -o " +
                          shell_quote(json_path) + " >/dev/null 2>&1";
        if (std::system(cmd.c_str()) != 0) {
            failures.push_back(f + ": wast2json failed");
            continue;
        }
        std::ifstream in(json_path);
        nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
        if (j.is_discarded()) {
            failures.push_back(f + ": bad json");
            continue;
        }
        for (const auto &c : j["commands"]) {
            std::string type = c.value("type", "");
            std::string file = c.value("filename", "");
            if (file.empty()) continue;
            if (c.value("module_type", "binary") != "binary") continue;  // text-format cases are not ours
            bool want_ok = type == "module" || type == "assert_unlinkable" || type == "assert_uninstantiable" ||
                           type == "assert_trap";
            bool want_invalid = type == "assert_invalid";
            bool want_malformed = type == "assert_malformed";
            if (!want_ok && !want_invalid && !want_malformed) continue;
            auto bytes = read_file(out + "/" + file);
            auto r = decode_module(bytes);
            std::string where = f + ":" + std::to_string(c.value("line", 0)) + " " + type;
            Counts &k = counts[type];
            ++k.total;
            std::string expected = c.value("text", "");
            if (want_malformed) {
                if (!r.ok()) {
                    ++k.passed;
                    if (lucet::spec::message_matches(expected, r.error().message)) ++k.msg_match;
                    else failures.push_back("(message) " + where + ": want \"" + expected + "\", got \"" +
                                            r.error().message + "\"");
                } else {
                    failures.push_back(where + ": decoded a malformed module (" + expected + ")");
                }
                continue;
            }
            if (!r.ok()) {
                if (want_invalid) {
                    // Rejected by the decoder: either with the validator's
                    // text (multi-instruction constant expressions, which
                    // ConstExpr cannot represent) or because wast2json wrote a
                    // binary that is malformed as well as invalid (data.drop
                    // with no DataCount section when there are no data
                    // segments).
                    ++k.passed;
                    ++k.by_decoder;
                    if (lucet::spec::message_matches(expected, r.error().message)) ++k.msg_match;
                    else failures.push_back("(decoder) " + where + ": want \"" + expected + "\", got \"" +
                                            r.error().message + "\"");
                    continue;
                }
                failures.push_back(where + ": decode error " + r.error().to_string() +
                                   (want_invalid ? " (want invalid: " + expected + ")" : ""));
                continue;
            }
            Status st = validate_module(*r);
            if (want_ok) {
                if (st.ok()) ++k.passed, ++k.msg_match;
                else failures.push_back(where + ": rejected a valid module: " + st.error().to_string());
            } else {
                if (!st.ok()) {
                    ++k.passed;
                    if (lucet::spec::message_matches(expected, st.error().message)) ++k.msg_match;
                    else failures.push_back("(message) " + where + ": want \"" + expected + "\", got \"" +
                                            st.error().message + "\"");
                } else {
                    failures.push_back(where + ": accepted an invalid module (" + expected + ")");
                }
            }
        }
    }
    int total = 0, passed = 0;
    for (auto &[type, k] : counts) {
        std::printf("spec sweep: %-22s %5d/%5d accepted/rejected as required, %5d with the expected message, "
                    "%d rejected by the decoder\n",
                    type.c_str(), k.passed, k.total, k.msg_match, type == "assert_malformed" ? k.passed : k.by_decoder);
        total += k.total;
        passed += k.passed;
    }
    int shown = 0;
    for (const auto &fl : failures)
        if (shown++ < 200) std::printf("  %s\n", fl.c_str());
    std::printf("spec sweep: %d/%d overall\n", passed, total);
    CHECK(total > 3000);
    CHECK(passed == total);
    // ... and for the reason the script names (spec_messages.h).
    int msg_match = 0;
    for (auto &[type, k] : counts) msg_match += k.msg_match;
    CHECK(msg_match == total);
}
