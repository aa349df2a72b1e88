// wasm_builder.h: a tiny wasm binary writer for test_compiler.cpp's
// [extreme] modules (built as bytes: wat2wasm would take longer than the
// compile), and the data and functions those tests check their modules with.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace wasm_builder {

// A tiny binary writer: just enough to build the extreme modules directly.
struct Bytes {
    std::vector<uint8_t> b;
    Bytes &u8(uint8_t x) { b.push_back(x); return *this; }
    Bytes &uleb(uint64_t x) {
        do {
            uint8_t c = x & 0x7f;
            x >>= 7;
            b.push_back(c | (x ? 0x80 : 0));
        } while (x);
        return *this;
    }
    Bytes &sleb(int64_t x) {
        for (;;) {
            uint8_t c = x & 0x7f;
            x >>= 7;
            bool done = (x == 0 && !(c & 0x40)) || (x == -1 && (c & 0x40));
            b.push_back(c | (done ? 0 : 0x80));
            if (done) return *this;
        }
    }
    Bytes &raw(const std::vector<uint8_t> &o) { b.insert(b.end(), o.begin(), o.end()); return *this; }
    Bytes &str(const std::string &s) { uleb(s.size()); b.insert(b.end(), s.begin(), s.end()); return *this; }
};

struct ModuleBuilder {
    std::vector<std::vector<uint8_t>> types;  // encoded functypes
    std::vector<uint32_t> funcs;              // type index per defined function
    std::vector<std::vector<uint8_t>> bodies; // locals + code + end, without size
    std::vector<uint8_t> table, memory, globals, exports, elems, datas;
    uint32_t nglobals = 0, nexports = 0, nelems = 0, ndatas = 0;

    uint32_t type(std::vector<uint8_t> params, std::vector<uint8_t> results) {
        Bytes t;
        t.u8(0x60).uleb(params.size()).raw(params).uleb(results.size()).raw(results);
        types.push_back(t.b);
        return static_cast<uint32_t>(types.size() - 1);
    }
    uint32_t func(uint32_t type, std::vector<uint8_t> body) {
        funcs.push_back(type);
        bodies.push_back(std::move(body));
        return static_cast<uint32_t>(funcs.size() - 1);
    }
    void data(uint32_t offset, const std::vector<uint8_t> &bytes) {  // active, memory 0
        Bytes d;
        d.u8(0x00).u8(0x41).sleb(static_cast<int32_t>(offset)).u8(0x0b).uleb(bytes.size()).raw(bytes);
        datas.insert(datas.end(), d.b.begin(), d.b.end());
        ndatas++;
    }
    void export_func(const std::string &name, uint32_t idx) { export_item(name, 0, idx); }
    void export_global(const std::string &name, uint32_t idx) { export_item(name, 3, idx); }
    void export_item(const std::string &name, uint8_t kind, uint32_t idx) {
        Bytes e;
        e.str(name).u8(kind).uleb(idx);
        exports.insert(exports.end(), e.b.begin(), e.b.end());
        nexports++;
    }
    static void section(Bytes &out, uint8_t id, uint32_t count, const std::vector<uint8_t> &payload) {
        Bytes s;
        s.uleb(count).raw(payload);
        out.u8(id).uleb(s.b.size()).raw(s.b);
    }
    std::vector<uint8_t> build() const {
        Bytes out;
        out.raw({0, 'a', 's', 'm', 1, 0, 0, 0});
        std::vector<uint8_t> tp;
        for (auto &t : types) tp.insert(tp.end(), t.begin(), t.end());
        section(out, 1, static_cast<uint32_t>(types.size()), tp);
        Bytes fs_;
        for (uint32_t t : funcs) fs_.uleb(t);
        section(out, 3, static_cast<uint32_t>(funcs.size()), fs_.b);
        if (!table.empty()) section(out, 4, 1, table);
        if (!memory.empty()) section(out, 5, 1, memory);
        if (nglobals) section(out, 6, nglobals, globals);
        if (nexports) section(out, 7, nexports, exports);
        if (nelems) section(out, 9, nelems, elems);
        Bytes code;
        for (auto &body : bodies) code.uleb(body.size()).raw(body);
        section(out, 10, static_cast<uint32_t>(bodies.size()), code.b);
        if (ndatas) section(out, 11, ndatas, datas);
        return out.b;
    }
};

constexpr uint8_t I32 = 0x7f;

std::vector<uint8_t> body(std::vector<uint8_t> locals_decl, const Bytes &code) {
    Bytes b;
    b.raw(locals_decl).raw(code.b).u8(0x0b);
    return b.b;
}

std::vector<uint8_t> pseudo_random_bytes(size_t n, uint32_t seed) {
    std::vector<uint8_t> v(n);
    for (auto &b : v) {
        seed = seed * 1103515245u + 12345u;
        b = static_cast<uint8_t>(seed >> 16);
    }
    return v;
}

// Data for the 20 MiB test: per 4 KiB block, by block number mod 8: all
// zero; zero runs of 31, 32, 33 bytes ending at or crossing offset 2,048;
// 40 zeros at the block's end; random bytes only.
std::vector<uint8_t> data_bytes(size_t n, uint32_t seed) {
    std::vector<uint8_t> v = pseudo_random_bytes(n, seed);
    auto zero = [&](size_t from, size_t len) { std::fill_n(v.begin() + from, std::min(len, n - std::min(n, from)), 0); };
    for (size_t blk = 0; blk * 4096 < n; blk++) {
        size_t at = blk * 4096;
        switch (blk % 8) {
        case 0: zero(at, 4096); break;
        case 1: zero(at + 2048 - 31, 31); break;
        case 2: zero(at + 2048 - 16, 32); break;
        case 3: zero(at + 2048 - 1, 33); break;
        case 4: zero(at + 4096 - 40, 40); break;
        default: break;
        }
    }
    return v;
}

// (func (param $p i32) (param $n i32) (result i32)): FNV-1a of memory[p, p + n).
std::vector<uint8_t> fnv1a_body() {
    Bytes c;
    c.u8(0x41).sleb(static_cast<int32_t>(0x811c9dc5u)).u8(0x21).uleb(2);              // h = basis
    c.u8(0x02).u8(0x40).u8(0x03).u8(0x40);                                          // block loop
    c.u8(0x20).uleb(1).u8(0x45).u8(0x0d).uleb(1);                                   // n == 0: out
    c.u8(0x20).uleb(2).u8(0x20).uleb(0).u8(0x2d).uleb(0).uleb(0).u8(0x73);          // h ^ mem[p]
    c.u8(0x41).sleb(16777619).u8(0x6c).u8(0x21).uleb(2);                            // * prime
    c.u8(0x20).uleb(0).u8(0x41).sleb(1).u8(0x6a).u8(0x21).uleb(0);                  // p++
    c.u8(0x20).uleb(1).u8(0x41).sleb(1).u8(0x6b).u8(0x21).uleb(1);                  // n--
    c.u8(0x0c).uleb(0).u8(0x0b).u8(0x0b).u8(0x20).uleb(2);                          // br 0 end end h
    return body({1, 1, I32}, c);
}

}  // namespace wasm_builder
