// func_split.cpp: a huge function emitted as chunks (Lowering::
// split_chunk_bytes). cc's memory at -O0 grows with the unit it compiles,
// whatever the number of functions in it (measured: 400,000 instructions in
// one function took 2 GB; the same code cut into 56 functions of one unit
// still 1.44 GB), so a huge function is cut into chunk functions that each
// get a unit of their own:
//
// - every piece of the function's state lives in one frame struct in the
//   function's own stack frame (`struct lucet_s12`): params, declared locals
//   (per-class arrays), operand slots, saved if-params and results; the
//   body refers to it through `F` (func_emitter.h: slot, local_ref);
// - the body's C is cut between two instructions, where it is at brace
//   depth 0 (control flow is flat labels and gotos: func_emitter.h);
// - a goto to a label of another chunk becomes `return <chunk << 32 |
//   entry>`, and that chunk starts with a switch jumping to the label;
//   `return` stores the results in the frame and returns kSplitReturn;
// - the function itself is the dispatcher: it zeroes the locals and runs
//   chunk after chunk as they direct it.
//
// Chunks are named lucet_c<func>_<k>[_name] and the runtime maps them to
// their function (runtime/module.cpp read_symbol_ranges); traps name the
// function through their sites as everywhere else.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "cgen/func_emitter.h"

namespace lucet::cgen {

namespace {

// A label definition at line start: "L12:;" or "E12:;" -> its entry code
// (2n + 1 for L, 2n + 2 for E), else 0.
uint32_t label_code_at(const std::string &s, size_t p, size_t *after = nullptr) {
    if (p >= s.size() || (s[p] != 'L' && s[p] != 'E')) return 0;
    size_t q = p + 1;
    uint64_t n = 0;
    while (q < s.size() && s[q] >= '0' && s[q] <= '9' && n < (1u << 30)) n = n * 10 + uint64_t(s[q++] - '0');
    if (q == p + 1 || n >= (1u << 30)) return 0;
    if (after) *after = q;
    return static_cast<uint32_t>(2 * n + (s[p] == 'L' ? 1 : 2));
}

}  // namespace

uint32_t FuncEmitter::slot_count(int c) const {
    uint32_t n = 0;
    for (uint32_t d = 0; d < used_[c].size(); d++)
        if (used_[c][d]) n = d + 1;
    return n;
}

// The frame struct, guarded: `lucetc --emit c` concatenates the units.
std::string FuncEmitter::split_struct() const {
    std::string s;
    auto o = std::back_inserter(s);
    fmt::format_to(o, "#ifndef LUCET_S{0}_DEFINED\n#define LUCET_S{0}_DEFINED\nstruct lucet_s{0} {{\n", fidx_);
    for (size_t i = 0; i < ft_.params.size(); i++) fmt::format_to(o, "{} l{};\n", c_type(ft_.params[i]), i);
    auto arrays = [&](char prefix, auto count) {
        for (int c = 0; c < kNumClasses; c++) {
            uint32_t n = count(c);
            if (n == 0) continue;
            fmt::format_to(o, "{} {}{}_[{}];\n", c_type(class_types[c]), prefix, type_letter(class_types[c]), n);
        }
    };
    arrays('l', [&](int c) { return frame_count_[c]; });
    arrays('s', [&](int c) { return slot_count(c); });
    arrays('x', [&](int c) { return ip_count_[c]; });
    for (size_t i = 0; i < ft_.results.size(); i++) fmt::format_to(o, "{} r{};\n", c_type(ft_.results[i]), i);
    s += "char end_;\n};\n#endif\n";
    return s;
}

Status FuncEmitter::emit_split(std::string &out) {
    // Chunk k is body_[bounds[k], bounds[k + 1]).
    std::vector<size_t> bounds{0};
    for (size_t c : cuts_)
        if (c > bounds.back() && c < body_.size()) bounds.push_back(c);
    bounds.push_back(body_.size());
    const size_t n = bounds.size() - 1;

    // Where each label is defined (labels sit at line starts).
    std::unordered_map<uint32_t, uint32_t> label_chunk;
    for (size_t k = 0; k < n; k++) {
        for (size_t p = bounds[k]; p < bounds[k + 1]; p = body_.find('\n', p) + 1) {
            size_t q;
            if (uint32_t code = label_code_at(body_, p, &q); code && body_.compare(q, 2, ":;") == 0)
                label_chunk[code] = static_cast<uint32_t>(k);
            if (body_.find('\n', p) == std::string::npos) break;
        }
    }
    // Each chunk's text with gotos out of it rewritten, and the labels other
    // chunks enter it at.
    std::vector<std::string> texts(n);
    std::vector<std::vector<uint32_t>> entries(n);
    for (size_t k = 0; k < n; k++) {
        std::string &t = texts[k];
        t.reserve(bounds[k + 1] - bounds[k] + 64);
        size_t p = bounds[k];
        for (;;) {
            size_t g = body_.find("goto ", p);
            if (g == std::string::npos || g >= bounds[k + 1]) break;
            size_t q;
            uint32_t code = label_code_at(body_, g + 5, &q);
            auto it = code ? label_chunk.find(code) : label_chunk.end();
            if (it == label_chunk.end() || body_.compare(q, 1, ";") != 0)
                return make_error(fmt::format("splitting function {}: a goto without its label", fidx_),
                                  static_cast<std::ptrdiff_t>(fn_.code_offset));
            t.append(body_, p, g - p);
            if (it->second == k) {
                t.append(body_, g, q + 1 - g);
            } else {
                fmt::format_to(std::back_inserter(t), "return 0x{:x}ull;", uint64_t(it->second) << 32 | code);
                entries[it->second].push_back(code);
            }
            p = q + 1;
        }
        t.append(body_, p, bounds[k + 1] - p);
    }

    const std::string fname = func_c_name(m_, fidx_);
    const std::string suffix = fname.substr(fmt::format("lucet_f{}", fidx_).size());
    auto chunk_name = [&](size_t k) { return fmt::format("lucet_c{}_{}{}", fidx_, k, suffix); };
    const std::string frame = split_struct();
    const std::string site = trap_site(fn_.code_offset);
    auto chunk_function = [&](size_t k) {
        std::string c;
        auto o = std::back_inserter(c);
        fmt::format_to(o, "LUCET_HIDDEN uint64_t {}(lucet_vmctx *ctx, struct lucet_s{} *F, uint32_t at) {{\n",
                       chunk_name(k), fidx_);
        if (!m_.memories.empty()) c += "uint8_t *mem = ctx->heap; (void)mem;\n";
        if (uses_memr_) c += "const uint8_t *memr = mem; __asm__(\"\" : \"+r\"(memr));\n";
        c += "LUCET_STACK_CHECK(ctx, " + site + ");\n";
        std::sort(entries[k].begin(), entries[k].end());
        entries[k].erase(std::unique(entries[k].begin(), entries[k].end()), entries[k].end());
        c += "switch (at) {\n";
        for (uint32_t code : entries[k])
            fmt::format_to(o, "case {}u: goto {}{};\n", code, code % 2 ? 'L' : 'E', (code - 1) / 2);
        c += "default: break;\n}\n";
        c += texts[k];
        fmt::format_to(o, "return 0x{:x}ull;\n}}\n\n", uint64_t(k + 1) << 32);
        return c;
    };
    auto callees_of = [&](size_t k) {
        std::vector<uint32_t> v;
        for (auto &[pos, f] : callee_at_)
            if (pos >= bounds[k] && pos < bounds[k + 1]) v.push_back(f);
        return v;
    };

    // The first unit: frame, chunk prototypes, dispatcher, chunk 0.
    auto o = std::back_inserter(out);
    out += frame;
    for (size_t k = 0; k < n; k++)
        fmt::format_to(o, "LUCET_HIDDEN uint64_t {}(lucet_vmctx *ctx, struct lucet_s{} *F, uint32_t at);\n",
                       chunk_name(k), fidx_);
    fmt::format_to(o, "{} {}(lucet_vmctx *ctx", result_c_type(ft_.results), fname);
    for (size_t i = 0; i < ft_.params.size(); i++) fmt::format_to(o, ", {} l{}", c_type(ft_.params[i]), i);
    fmt::format_to(o, ") {{\nstruct lucet_s{} F_;\nLUCET_STACK_CHECK(ctx, {});\n", fidx_, site);
    for (int c = 0; c < kNumClasses; c++)
        if (frame_count_[c])
            fmt::format_to(o, "__builtin_memset(F_.l{0}_, 0, sizeof F_.l{0}_);\n", type_letter(class_types[c]));
    for (size_t i = 0; i < ft_.params.size(); i++) fmt::format_to(o, "F_.l{0} = l{0};\n", i);
    out += "uint64_t at = 0;\nfor (;;) {\nswitch ((uint32_t)(at >> 32)) {\n";
    for (size_t k = 0; k < n; k++)
        fmt::format_to(o, "case {}u: at = {}(ctx, &F_, (uint32_t)at); break;\n", k, chunk_name(k));
    out += "default:";
    if (ft_.results.empty()) {
        out += " return;\n";
    } else if (ft_.results.size() == 1) {
        out += " return F_.r0;\n";
    } else {
        fmt::format_to(o, " {{ {} r_;", multi_result_struct_name(ft_.results));
        for (size_t i = 0; i < ft_.results.size(); i++) fmt::format_to(o, " r_.r{0} = F_.r{0};", i);
        out += " return r_; }\n";
    }
    out += "}\n}\n}\n\n";
    out += chunk_function(0);
    stats_.callees = callees_of(0);
    for (size_t k = 1; k < n; k++)
        stats_.split_units.push_back({frame + chunk_function(k), callees_of(k)});
    return {};
}

}  // namespace lucet::cgen
