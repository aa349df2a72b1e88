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
#include <string_view>
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

// A chunk's text with the frame's operand slots, locals and params in
// variables of its own (`F->si_[3]` -> `si3`, `F->lj_[7]` -> `lj7`, `F->l0`
// -> `l0`, `F->xd_[1]` -> `xd1`), copied in at entry (`in`) and back at its
// one exit (`out`, after the label `X_`: every `return C;` becomes
// `{ at_ = C; goto X_; }`). At -O0 cc keeps each variable in the chunk's own
// frame, so an access no longer goes through F, and the shorter C compiles
// faster. `type_of(kind, letter, index)` is the C type of a reference.
// A reference used fewer than kLocalizeMinUses times in the chunk stays in
// the frame: its copy in and out would cost more C than it saves (locals set
// once and read once, as in the 50,000-live-locals shape: 1.4x the cc time
// when all were copied).
constexpr size_t kLocalizeMinUses = 3;

// text.find(what, p) for a p that only grows, each part of the text searched
// once: the last find is kept while it is still at or after p.
struct NextFind {
    const std::string &text;
    const char *what;
    size_t from = std::string::npos, at = std::string::npos;  // at == text.find(what, from); from npos: none yet
    size_t operator()(size_t p) {
        if (from == std::string::npos || p < from || (at != std::string::npos && at < p)) {
            at = text.find(what, p);
            from = p;
        }
        return at;
    }
};

template <typename TypeOf>
std::string localize(const std::string &text, std::string &in, std::string &out, TypeOf type_of) {
    // Calls fn(position, end, name, ref) for each frame reference (name
    // empty for a return, ref empty for results, which stay in the frame).
    // Each of "F->" and "return 0x" is looked for again only once p has
    // passed its last find: finding both from every reference rescanned the
    // rest of the chunk for the rarer one (8 s per MB of C).
    auto scan = [&](auto fn) {
        NextFind next_f{text, "F->"}, next_r{text, "return 0x"};
        for (size_t p = 0;;) {
            size_t f = next_f(p), r = next_r(p);
            size_t at = std::min(f, r);
            if (at == std::string::npos) return;
            if (at == r) {  // return 0x...ull;
                p = text.find("ull;", r) + 4;
                fn(at, p, std::string(), std::string());
                continue;
            }
            size_t q = f + 3;
            char kind = text[q];
            if ((kind == 's' || kind == 'l' || kind == 'x') && q + 4 < text.size() &&
                std::strchr("ijfdrv", text[q + 1]) && text.compare(q + 2, 2, "_[") == 0) {
                size_t d = q + 4, e = text.find(']', d);
                p = e + 1;
                fn(f, p, std::string(1, kind) + text[q + 1] + text.substr(d, e - d), text.substr(f, p - f));
            } else if (kind == 'l' && q + 1 < text.size() && text[q + 1] >= '0' && text[q + 1] <= '9') {
                p = q + 1;
                while (p < text.size() && text[p] >= '0' && text[p] <= '9') p++;
                fn(f, p, text.substr(q, p - q), text.substr(f, p - f));
            } else {
                p = q;
                fn(f, p, std::string("F->"), std::string());
            }
        }
    };
    std::unordered_map<std::string, size_t> uses;
    scan([&](size_t, size_t, const std::string &name, const std::string &ref) {
        if (!ref.empty()) uses[name]++;
    });
    std::string body;
    body.reserve(text.size());
    auto o_in = std::back_inserter(in), o_out = std::back_inserter(out);
    size_t copied = 0;
    scan([&](size_t at, size_t end, const std::string &name, const std::string &ref) {
        body.append(text, copied, at - copied);
        copied = end;
        if (name.empty()) {  // "return 0x...ull;" -> "{ at_ = 0x...ull; goto X_; }"
            body += "{ at_ = ";
            body.append(text, at + 7, end - 1 - (at + 7));
            body += "; goto X_; }";
            return;
        }
        if (ref.empty()) {  // F->r0...
            body += name;
            return;
        }
        size_t &n = uses[name];
        if (n < kLocalizeMinUses) {
            body += ref;
            return;
        }
        body += name;
        if (n != SIZE_MAX) {
            n = SIZE_MAX;  // declared now
            fmt::format_to(o_in, "{} {} = {};\n", type_of(name), name, ref);
            fmt::format_to(o_out, "{} = {};\n", ref, name);
        }
    });
    body.append(text, copied, std::string::npos);
    return body;
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
        // Searched up to the chunk's end only (a goto starting in it ends in
        // it): a chunk without gotos searched the rest of the body.
        const std::string_view upto(body_.data(), std::min(body_.size(), bounds[k + 1] + 4));
        for (;;) {
            size_t g = upto.find("goto ", p);
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
    auto type_of = [&](const std::string &name) -> const char * {
        if (name[0] == 'l' && name[1] >= '0' && name[1] <= '9') return c_type(ft_.params[std::stoul(name.substr(1))]);
        for (ValType t : class_types)
            if (type_letter(t) == name[1]) return c_type(t);
        return "uint64_t";  // not reached: localize only passes these two forms
    };
    auto chunk_function = [&](size_t k) {
        std::string c;
        auto o = std::back_inserter(c);
        fmt::format_to(o, "LUCET_HIDDEN uint64_t {}(lucet_vmctx *ctx, struct lucet_s{} *F, uint32_t at) {{\n",
                       chunk_name(k), fidx_);
        if (!m_.memories.empty()) c += "uint8_t *mem = ctx->heap; (void)mem;\n";
        if (uses_memr_) c += "const uint8_t *memr = mem; __asm__(\"\" : \"+r\"(memr));\n";
        c += "LUCET_STACK_CHECK(ctx, " + site + ");\n";
        std::string in, out;
        std::string text = localize(texts[k], in, out, type_of);
        c += "uint64_t at_;\n";
        c += in;
        std::sort(entries[k].begin(), entries[k].end());
        entries[k].erase(std::unique(entries[k].begin(), entries[k].end()), entries[k].end());
        c += "switch (at) {\n";
        for (uint32_t code : entries[k])
            fmt::format_to(o, "case {}u: goto {}{};\n", code, code % 2 ? 'L' : 'E', (code - 1) / 2);
        c += "default: break;\n}\n";
        c += text;
        fmt::format_to(o, "at_ = 0x{:x}ull;\nX_:;\n", uint64_t(k + 1) << 32);
        c += out;
        c += "return at_;\n}\n\n";
        return c;
    };
    // callee_at_ is in body_ order (body_ only grows): each chunk's are a run.
    auto callees_of = [&](size_t k) {
        auto from = [&](size_t pos) {
            return std::lower_bound(callee_at_.begin(), callee_at_.end(), pos,
                                    [](const auto &c, size_t p) { return c.first < p; });
        };
        std::vector<uint32_t> v;
        for (auto it = from(bounds[k]), e = from(bounds[k + 1]); it != e; ++it) v.push_back(it->second);
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
    for (size_t k = 1; k < n; k++) {
        LUCET_TRY(check_deadline(opts_, fidx_));
        stats_.split_units.push_back({frame + chunk_function(k), callees_of(k)});
    }
    return {};
}

}  // namespace lucet::cgen
