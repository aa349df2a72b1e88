// instance.cpp: instantiation (slot, imports, globals, tables, memory,
// segments, start) and exports.
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "runtime/internal.h"
#include "util/escape.h"
#include "util/size.h"

namespace lucet {

using namespace rt;

namespace {

std::string import_name(const lucet_import_desc &im) {
    return escaped_name(std::string_view(im.module, im.module_len)) + "." +
           escaped_name(std::string_view(im.field, im.field_len));
}

std::string limits_str(uint64_t min, std::optional<uint64_t> max) {
    return "{min " + std::to_string(min) + (max ? ", max " + std::to_string(*max) : std::string(", no max")) + "}";
}

// Import limits subtyping (spec "Limits"): the provided object's current size
// must be at least the declared minimum; a declared maximum requires the
// provided object to have a maximum no larger.
bool limits_match(uint64_t have_min, std::optional<uint64_t> have_max, const lucet_limits_desc &want) {
    if (have_min < want.min) return false;
    if (want.has_max) {
        if (!have_max || *have_max > want.max) return false;
    }
    return true;
}

// A table's elements are reserved up front for its whole capacity (they
// never move), at most kMaxTableCapacity, 305 MiB: a module declaring 100,000
// growable tables reserved 28 TiB per instance, and four instances left no
// address space for anyone else. So an instance's own tables share a budget
// of kTableReserveBudget: their minimums first (beyond the budget the
// instance is refused), then each gets the room it may grow into while what
// is left lasts, and after that only its minimum (table.grow then fails,
// returning -1, as the spec allows).
constexpr uint64_t kTableReserveBudget = uint64_t(4) << 30;

uint64_t table_min_bytes(uint64_t min) { return round_up(min * sizeof(lucet_table_elem), kPage); }

// `growth`: the budget left for capacity beyond the tables' minimums.
Result<std::unique_ptr<OwnedTable>> make_table(uint32_t elem_type, uint64_t min, std::optional<uint64_t> max,
                                               uint64_t &growth) {
    uint64_t cap = std::min<uint64_t>(max ? *max : UINT32_MAX, kMaxTableCapacity);
    if (min > cap)
        return make_error("table of " + std::to_string(min) + " elements exceeds the runtime limit of " +
                          std::to_string(kMaxTableCapacity));
    const uint64_t allowed = table_min_bytes(min) + growth;  // whole pages
    cap = std::max(min, std::min(cap, allowed / sizeof(lucet_table_elem)));
    auto t = std::make_unique<OwnedTable>();
    t->declared_max = max;
    t->table.size = static_cast<uint32_t>(min);
    t->table.max = max ? static_cast<uint32_t>(std::min<uint64_t>(*max, UINT32_MAX)) : UINT32_MAX;
    t->table.capacity = static_cast<uint32_t>(cap);
    t->table.elem_type = elem_type;
    if (cap) {
        // Reserved up front (elems never move); untouched pages cost nothing.
        t->map_bytes = round_up(cap * sizeof(lucet_table_elem), kPage);
        void *p = mmap(nullptr, t->map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
        if (p == MAP_FAILED)
            return make_error("cannot reserve " + format_size(t->map_bytes) + " for a table: " + std::strerror(errno));
        t->table.elems = static_cast<lucet_table_elem *>(p);
        growth -= t->map_bytes - table_min_bytes(min);
    }
    return t;
}

void park_failed_instance(std::shared_ptr<Instance> inst) {
    static std::mutex mu;
    static std::vector<std::shared_ptr<Instance>> *parked = new std::vector<std::shared_ptr<Instance>>();  // never freed
    std::lock_guard<std::mutex> lock(mu);
    parked->push_back(std::move(inst));
}

}  // namespace

lucet_table_elem rt::make_elem(uint32_t elem_type, uint64_t v) {
    lucet_table_elem e{};
    if (elem_type == LUCET_VT_FUNCREF) {
        if (v) {
            auto *f = reinterpret_cast<const lucet_funcref *>(static_cast<uintptr_t>(v));
            e.sig = f->sig;
            e.func = f->func;
            e.vmctx = f->vmctx;
        }
    }
    e.ref = reinterpret_cast<const void *>(static_cast<uintptr_t>(v));
    return e;
}

uint64_t *Instance::Impl::global_slot(uint32_t g) const {
    lucet_vmctx *ctx = self->vmctx_;
    if (g < desc->num_imported_globals || self->module_->impl_->global_types[g] == ValType::V128)
        return reinterpret_cast<uint64_t *>(static_cast<uintptr_t>(ctx->globals[g]));
    return &ctx->globals[g];
}

void Instance::Impl::eval_init_v128(const lucet_init_expr &e, uint64_t out[2]) const {
    if (e.kind == LUCET_INIT_GLOBAL_GET) {
        std::memcpy(out, global_slot(static_cast<uint32_t>(e.value)), 16);  // checked at load: a v128 global
        return;
    }
    out[0] = e.value;  // LUCET_INIT_CONST (the only other kind the loader lets through)
    out[1] = e.value_hi;
}

uint64_t Instance::Impl::eval_init(const lucet_init_expr &e) const {
    switch (e.kind) {
    case LUCET_INIT_CONST: return e.value;
    case LUCET_INIT_GLOBAL_GET: return *global_slot(static_cast<uint32_t>(e.value));
    case LUCET_INIT_REF_FUNC: return reinterpret_cast<uintptr_t>(&funcs[e.value]);
    default: return 0;
    }
}

Result<std::shared_ptr<Instance>> Instance::create(const std::shared_ptr<Region> &region,
                                                   const std::shared_ptr<DlModule> &module,
                                                   const ImportResolver &resolve, void *embed_ctx) {
    InstanceOptions o;
    o.embed_ctx = embed_ctx;
    return create(region, module, resolve, o);
}

namespace {

// Phase 1, fit check: module/region compatibility, before taking a slot. The
// heap layout the code was compiled for must fit whatever its flags say (a
// descriptor flag is no proof that every access is checked; the loader only
// lets LUCET_MODULE_BOUNDS_CHECKED through with a layout of at most 4 GiB).
Status check_fit(const DlModule &module, uint64_t vmctx_used, const RegionLimits &lim) {
    const lucet_module_desc &d = module.desc();
    const std::string &mpath = module.path();
    if (d.reserved_size > lim.heap_address_space || d.guard_size > lim.heap_address_space - d.reserved_size)
        return make_error(mpath + ": module was compiled for " + format_size(d.reserved_size + d.guard_size) +
                          " of heap address space (reserved " + format_size(d.reserved_size) + " + guard " +
                          format_size(d.guard_size) + "), region provides " + format_size(lim.heap_address_space) +
                              " (lucetc --reserved-size/--guard-size compile it for less, with explicit bounds checks)",
                          ErrorKind::Limits);
    uint64_t nglobals = uint64_t(d.num_imported_globals) + d.num_globals;
    if (vmctx_used > lim.globals_size)
        return make_error(mpath + ": " + std::to_string(nglobals) + " globals need " + std::to_string(vmctx_used) +
                          " bytes of vmctx, region provides globals_size " + std::to_string(lim.globals_size),
                          ErrorKind::Limits);
    if (d.num_memories) {
        const lucet_limits_desc &ml = d.memories[0];
        if (ml.min * kWasmPage > lim.max_heap_size)
            return make_error(mpath + ": memory needs " + std::to_string(ml.min) + " initial pages (" +
                              format_size(ml.min * kWasmPage) + "), region allows at most " +
                              format_size(lim.max_heap_size) + " of heap",
                              ErrorKind::Limits);
        if (ml.min * kWasmPage > d.reserved_size && !(d.flags & LUCET_MODULE_BOUNDS_CHECKED))
            return make_error(mpath + ": memory needs " + std::to_string(ml.min) +
                              " initial pages, more than the module's reserved size " + format_size(d.reserved_size),
                              ErrorKind::Limits);
    }
    return {};
}

std::optional<uint64_t> declared_max(const lucet_limits_desc &l) {
    return l.has_max ? std::optional<uint64_t>(l.max) : std::nullopt;
}

}  // namespace

// Phase 3, slot set-up: the vmctx header, stack limit and function tables of
// a freshly leased slot.
Status Instance::Impl::prepare_slot() {
    Region::Impl &ri = *region;
    const RegionLimits &lim = self->region_->limits();
    uint8_t *base = slot_base;
    if (!ri.prepared[slot]) {
        // First use of the slot: the vmctx and the stack stay accessible
        // from now on (release_slot keeps them so).
        if (mprotect(base, lim.globals_size, PROT_READ | PROT_WRITE) != 0 ||
            mprotect(base + ri.stack_off, lim.stack_size, PROT_READ | PROT_WRITE) != 0)
            return make_error(std::string("cannot make an instance slot accessible: ") + std::strerror(errno));
        ri.prepared[slot] = 1;
    }
    auto *ctx = reinterpret_cast<lucet_vmctx *>(base);
    // A reused slot holds the previous instance's vmctx: clear the header
    // and the globals this module uses (each is also initialised below).
    std::memset(ctx, 0, self->module_->impl_->vmctx_used);
    self->vmctx_ = ctx;
    ctx->instance = this;  // runtime-private: the Impl (from_vmctx goes through it)
    // stack_limit is set for the duration of a run (run.cpp), 0 otherwise.
    // Only a linked instance's code runs on another instance's stack
    // (imports, shared tables): while a member of its link group runs, it
    // gets that run's limit (link_group.cpp), so its checks keep the
    // host-call reserve of the stack it actually runs on.
    ctx->stack_limit = 0;
    stack_limit = reinterpret_cast<uintptr_t>(base + ri.stack_off) + lim.hostcall_reserve;

    const lucet_module_desc &d = *desc;
    uint32_t nfuncs = d.num_imported_funcs + d.num_funcs;
    funcs.assign(nfuncs, lucet_funcref{});
    func_is_host.assign(nfuncs, 0);
    tables.assign(d.num_imported_tables + d.num_tables, nullptr);
    func_sig.assign(nfuncs, 0);
    for (uint32_t i = 0, f = 0; i < d.num_imports; i++)
        if (d.imports[i].kind == LUCET_EXTERN_FUNC) func_sig[f++] = d.imports[i].type;
    for (uint32_t k = 0; k < d.num_funcs; k++) func_sig[d.num_imported_funcs + k] = d.funcs[k].sig;
    return {};
}

// One import matched against what the resolver gave and bound into the
// vmctx; `counts` are the next function, table and global import indices.
Status Instance::Impl::bind_import(const lucet_import_desc &imp, Extern &ex, ImportCounts &counts) {
    const lucet_module_desc &d = *desc;
    lucet_vmctx *ctx = self->vmctx_;
    const ExternKind kind = static_cast<ExternKind>(imp.kind);
    const std::string name = import_name(imp);
    if (ex.kind != kind)
        return make_error("incompatible import type for " + name + ": expected a " + extern_kind_name(kind) + ", got a " +
                          extern_kind_name(ex.kind), ErrorKind::ImportType);
    auto incompatible = [&](const std::string &want, const std::string &got) {
        return make_error("incompatible import type for " + name + ": expected " + want + ", got " + got,
                          ErrorKind::ImportType);
    };
    switch (kind) {
    case ExternKind::Func: {
        FuncType want = self->module_->sig(imp.type);
        if (!(ex.func_type == want)) return incompatible(describe_functype(want), describe_functype(ex.func_type));
        if (!ex.code) return make_error("import " + name + " resolved to a function without code", ErrorKind::ImportType);
        lucet_funcref &f = funcs[counts.funcs];
        f.sig = d.type_ids[imp.type];
        f.func = ex.code;
        f.vmctx = ex.func_vmctx ? ex.func_vmctx : ctx;
        func_is_host[counts.funcs] = ex.func_vmctx == nullptr;
        counts.funcs++;
        break;
    }
    case ExternKind::Table: {
        if (!ex.table) return make_error("import " + name + " resolved to no table", ErrorKind::ImportType);
        std::optional<uint64_t> have_max;
        if (ex.table->max != UINT32_MAX) have_max = ex.table->max;
        if (ex.table->elem_type != imp.type || !limits_match(ex.table->size, have_max, imp.limits))
            return incompatible(std::string(valtype_name(static_cast<ValType>(imp.type))) + " table " +
                                    limits_str(imp.limits.min, declared_max(imp.limits)),
                                std::string(valtype_name(static_cast<ValType>(ex.table->elem_type))) + " table " +
                                    limits_str(ex.table->size, have_max));
        tables[counts.tables++] = ex.table;
        break;
    }
    case ExternKind::Memory: {
        if (!ex.memory) return make_error("import " + name + " resolved to no memory", ErrorKind::ImportType);
        uint64_t pages = ex.memory->size / kWasmPage;
        if (!limits_match(pages, ex.limits.max, imp.limits))
            return incompatible("memory " + limits_str(imp.limits.min, declared_max(imp.limits)),
                                "memory " + limits_str(pages, ex.limits.max));
        // Code compiled without bounds checks relies on the guard region;
        // checked or not, the memory must give the layout compiled for.
        if (d.reserved_size > ex.memory->reserved || d.guard_size > ex.memory->reserved - d.reserved_size)
            return make_error("import " + name + ": the memory reserves " + format_size(ex.memory->reserved) +
                              " of address space, the module was compiled for " +
                              format_size(d.reserved_size + d.guard_size), ErrorKind::ImportType);
        ctx->mem = ex.memory;
        ctx->heap = ex.memory->base;
        imported_memory_max = ex.limits.max;
        break;
    }
    case ExternKind::Global: {
        if (!ex.global) return make_error("import " + name + " resolved to no global", ErrorKind::ImportType);
        ValType want = static_cast<ValType>(imp.type);
        if (ex.global_type.type != want || ex.global_type.mut != (imp.mut != 0))
            return incompatible(std::string(imp.mut ? "mut " : "") + valtype_name(want),
                                std::string(ex.global_type.mut ? "mut " : "") + valtype_name(ex.global_type.type));
        ctx->globals[counts.globals++] = reinterpret_cast<uintptr_t>(ex.global);
        break;
    }
    }
    return {};
}

// Phase 4, link imports: resolve and bind every import, then join the link
// groups of the instances they came from (only once every import matched:
// an instance that failed before wrote nothing anywhere and goes at once).
Status Instance::Impl::link_imports(const ImportResolver &resolve) {
    const lucet_module_desc &d = *desc;
    ImportCounts counts;
    // Imports from instances, each held until linked.
    std::vector<std::pair<Instance *, std::shared_ptr<void>>> exporters;
    for (uint32_t i = 0; i < d.num_imports; i++) {
        const lucet_import_desc &imp = d.imports[i];
        ExternKind kind = static_cast<ExternKind>(imp.kind);
        std::string_view mod(imp.module, imp.module_len), field(imp.field, imp.field_len);
        Result<Extern> r = resolve ? resolve(mod, field, kind) : Result<Extern>(make_error("no import resolver"));
        if (!r)
            return make_error("unknown import " + import_name(imp) + " (" + extern_kind_name(kind) + "): " +
                                  r.error().to_string(),
                              ErrorKind::ImportMissing);
        LUCET_TRY(bind_import(imp, *r, counts));
        // The group keeps the exporters: a reference from here would keep
        // them from ever being disposed of (link_group.cpp).
        if (r->instance) exporters.push_back({r->instance, std::move(r->owner)});
        else if (r->owner) owners.push_back(std::move(r->owner));
    }
    for (auto &[exporter, keep] : exporters)
        if (Status st = link_to(*exporter); !st) return make_error(st.error().message, ErrorKind::ImportType);
    return {};
}

// Phase 5a: the module's own functions, and the vmctx's function and table
// arrays.
void Instance::Impl::bind_defined_functions() {
    const lucet_module_desc &d = *desc;
    lucet_vmctx *ctx = self->vmctx_;
    for (uint32_t k = 0; k < d.num_funcs; k++) {
        lucet_funcref &f = funcs[d.num_imported_funcs + k];
        f.sig = d.type_ids[d.funcs[k].sig];
        f.func = d.funcs[k].code;
        f.vmctx = ctx;
    }
    ctx->funcs = funcs.data();
    ctx->tables = tables.data();
}

// Phase 6, start: runs the start function, if any.
Status Instance::Impl::run_start_function() { return start_status(self->run_start()); }

Status Instance::start_status(const RunResult &r) {
    switch (r.kind) {
    case RunResult::Kind::Returned: return {};
    case RunResult::Kind::Trapped:
        return make_error(r.trap.to_string() + " (in the start function)", ErrorKind::Instantiate);
    case RunResult::Kind::Exited:
        return make_error(std::string(r.killed ? "start function was killed"
                                               : "start function exited with code " + std::to_string(r.exit_code)),
                          ErrorKind::Instantiate);
    case RunResult::Kind::Yielded:
        return make_error("start function yielded (yield is not allowed during instantiation)", ErrorKind::Instantiate);
    case RunResult::Kind::Error: return make_error("start function: " + r.error.to_string(), ErrorKind::Instantiate);
    }
    return {};
}

Result<std::shared_ptr<Instance>> Instance::create(const std::shared_ptr<Region> &region,
                                                   const std::shared_ptr<DlModule> &module,
                                                   const ImportResolver &resolve, const InstanceOptions &options) {
    if (!region || !module) return make_error("Instance::create: no region or no module", ErrorKind::InvalidArgument);
    const lucet_module_desc &d = module->desc();
    // 1. fit check (vmctx_used: header, global slots, v128 storage)
    LUCET_TRY(check_fit(*module, module->impl_->vmctx_used, region->limits()));

    Region::Impl &ri = *region->impl_;
    auto slot = ri.lease_slot();  // 2. slot lease
    if (!slot) return slot.error();
    std::shared_ptr<Instance> inst(new Instance(), &Instance::dispose);
    inst->region_ = region;
    inst->module_ = module;
    inst->embed_ctx_ = options.embed_ctx;
    inst->wasi_ctx_ = options.wasi_ctx;
    inst->impl_ = std::make_unique<Impl>();
    Impl &im = *inst->impl_;
    im.self = inst.get();
    im.region = &ri;
    im.slot = *slot;
    im.slot_base = ri.slot(*slot);
    im.desc = &d;
    im.kill = std::make_shared<KillSwitch::State>();
    // From here on, ~Instance gives the slot back whatever happens.

    LUCET_TRY(im.prepare_slot());         // 3. vmctx, stack limit, function arrays
    LUCET_TRY(im.link_imports(resolve));  // 4. imports, link groups
    im.bind_defined_functions();

    // 5. init, 6. start. Both can fail after writing references to this
    // instance's functions into imported tables (or globals). Those writes
    // persist (spec), so the instance must then outlive its failure: it is
    // parked for the rest of the process (its slot stays taken).
    Status st = im.init_state();
    if (st.ok() && options.run_start) st = im.run_start_function();
    if (!st.ok()) {
        bool may_be_referenced = d.num_imported_tables > 0;
        for (uint32_t i = 0; i < d.num_imports; i++)
            if (d.imports[i].kind == LUCET_EXTERN_GLOBAL && d.imports[i].mut) may_be_referenced = true;
        // A linked instance is kept by its group anyway.
        if (may_be_referenced && !im.linked.load(std::memory_order_relaxed)) park_failed_instance(inst);
        return st.error();
    }
    return inst;
}

Status Instance::Impl::init_state() {
    Instance &inst = *self;
    const lucet_module_desc &d = *desc;
    const std::string &mpath = inst.module_->path();
    const RegionLimits &lim = inst.region_->limits();
    lucet_vmctx *ctx = inst.vmctx_;
    Impl &im = *this;

    // ---- defined memory, in the slot
    if (d.num_memories) {
        const lucet_limits_desc &ml = d.memories[0];
        lucet_memory &m = im.memory;
        m.base = slot_base + region->heap_off;
        m.reserved = region->heap_reserved;
        uint64_t maxp = lim.max_heap_size / kWasmPage;
        if (ml.has_max) maxp = std::min<uint64_t>(maxp, ml.max);
        if (!(d.flags & LUCET_MODULE_BOUNDS_CHECKED)) maxp = std::min<uint64_t>(maxp, d.reserved_size / kWasmPage);
        maxp = std::min<uint64_t>(maxp, 65536);
        m.max_pages = maxp;
        m.size = ml.min * kWasmPage;
        if (m.size && mprotect(m.base, m.size, PROT_READ | PROT_WRITE) != 0)
            return make_error("cannot make " + format_size(m.size) + " of heap accessible: " + std::strerror(errno));
        im.has_own_memory = true;
        if (ml.has_max) im.memory_declared_max = ml.max;
        ctx->mem = &m;
        ctx->heap = m.base;
    }

    // ---- defined tables (on reset, the same table objects, emptied by
    // clear_state: other instances may have imported them)
    for (uint32_t k = 0; k < d.num_tables && k < im.owned_tables.size(); k++)
        im.owned_tables[k]->table.size = static_cast<uint32_t>(d.tables[k].limits.min);
    uint64_t table_bytes = 0;  // reserved, then needed at least
    for (const auto &t : im.owned_tables) table_bytes += t->map_bytes;
    for (uint32_t k = static_cast<uint32_t>(im.owned_tables.size()); k < d.num_tables; k++)
        table_bytes += table_min_bytes(std::min<uint64_t>(d.tables[k].limits.min, kMaxTableCapacity));
    if (table_bytes > kTableReserveBudget)
        return make_error(mpath + ": the module's tables need " + format_size(table_bytes) + " of address space, more than " +
                              format_size(kTableReserveBudget) + " (implementation limit)",
                          ErrorKind::Limits);
    uint64_t table_budget = kTableReserveBudget - table_bytes;
    for (uint32_t k = static_cast<uint32_t>(im.owned_tables.size()); k < d.num_tables; k++) {
        const lucet_table_desc &td = d.tables[k];
        auto t = make_table(td.elem_type, td.limits.min,
                            td.limits.has_max ? std::optional<uint64_t>(td.limits.max) : std::nullopt, table_budget);
        if (!t)
            return make_error(mpath + ": table " + std::to_string(d.num_imported_tables + k) + ": " + t.error().message,
                              ErrorKind::Limits);
        im.tables[d.num_imported_tables + k] = &(*t)->table;
        im.owned_tables.push_back(std::move(*t));
    }

    // ---- defined globals, in order (an init may read an imported global).
    // A v128 global's slot points at its 16 bytes in the vmctx area.
    auto *v128_storage = reinterpret_cast<uint64_t *>(slot_base + inst.module_->impl_->v128_storage_off);
    for (uint32_t k = 0; k < d.num_globals; k++) {
        if (d.globals[k].type == LUCET_VT_V128) {
            im.eval_init_v128(d.globals[k].init, v128_storage);
            ctx->globals[d.num_imported_globals + k] = reinterpret_cast<uintptr_t>(v128_storage);
            v128_storage += 2;
        } else {
            ctx->globals[d.num_imported_globals + k] = im.eval_init(d.globals[k].init);
        }
    }

    im.elem_dropped.assign(d.num_elems, 0);
    im.data_dropped.assign(d.num_data, 0);

    // ---- active element segments, then data segments (spec 2.0 order). A
    // failing segment stops instantiation; earlier effects on imported
    // tables and memories persist.
    for (uint32_t s = 0; s < d.num_elems; s++) {
        const lucet_elem_desc &e = d.elems[s];
        if (e.mode == LUCET_SEG_PASSIVE) continue;
        if (e.mode == LUCET_SEG_ACTIVE) {
            if (e.table >= im.tables.size())
                return make_error(mpath + ": element segment " + std::to_string(s) + " names a missing table",
                                  ErrorKind::Module);
            lucet_table *t = im.tables[e.table];
            uint64_t off = im.eval_init(e.offset) & 0xffffffffu;
            if (off + e.count > t->size)
                return make_error("out of bounds table access: element segment " + std::to_string(s) + " at " +
                                      std::to_string(off) + " + " + std::to_string(e.count) + " exceeds table " +
                                      std::to_string(e.table) + " size " + std::to_string(t->size),
                                  ErrorKind::Instantiate);
            for (uint32_t j = 0; j < e.count; j++) t->elems[off + j] = make_elem(t->elem_type, im.eval_init(e.items[j]));
        }
        im.elem_dropped[s] = 1;  // active and declarative segments are dropped
    }

    // Data: whole pages of the segments of the defined memory are mapped
    // copy-on-write from the module file (heap_image.cpp), the rest copied.
    DataWriter data{heap_image(*inst.module_, *inst.module_->impl_), ctx->mem ? ctx->mem->base : nullptr,
                    im.has_own_memory ? &im.image_len : nullptr};
    for (uint32_t s = 0; s < d.num_data; s++) {
        const lucet_data_desc &ds = d.data[s];
        if (ds.mode != LUCET_SEG_ACTIVE) continue;
        lucet_memory *m = ctx->mem;
        if (!m) return make_error(mpath + ": data segment " + std::to_string(s) + " without a memory", ErrorKind::Module);
        uint64_t off = im.eval_init(ds.offset) & 0xffffffffu;
        if (off + ds.len > m->size)
            return make_error("out of bounds memory access: data segment " + std::to_string(s) + " at " +
                                  std::to_string(off) + " + " + std::to_string(ds.len) + " exceeds memory size " +
                                  std::to_string(m->size),
                              ErrorKind::Instantiate);
        LUCET_TRY(data.write(s, ds, off));
        im.data_dropped[s] = 1;
    }
    return data.flush();
}

void Instance::Impl::clear_state() {
    // Tables are emptied in place, never replaced: importers hold pointers
    // to them. Their elements become zero pages again (null elements).
    for (auto &t : owned_tables) {
        if (t->table.elems && t->table.size)
            madvise(t->table.elems, round_up(uint64_t(t->table.size) * sizeof(lucet_table_elem), kPage), MADV_DONTNEED);
        t->table.size = 0;
    }
    if (has_own_memory) {
        reset_heap(memory.base, memory.size, image_len);
        image_len = 0;
        memory.size = 0;
    }
}

Instance::~Instance() {
    if (!impl_) return;
    if (impl_->kill) {
        // Kill switches outlive us: make them stale and inert.
        std::lock_guard<std::mutex> lock(impl_->kill->mu);
        impl_->kill->alive = false;
        impl_->kill->word.store((impl_->gen + 1) << 2, std::memory_order_release);
    }
    for (auto &t : impl_->owned_tables)
        if (t->table.elems) munmap(t->table.elems, t->map_bytes);
    uint64_t touched = impl_->has_own_memory ? impl_->memory.size : 0;
    impl_->region->release_slot(impl_->slot, touched, impl_->image_len, module_->impl_->vmctx_used);
}

Result<Extern> Instance::get_export(std::string_view name, ExternKind kind) {
    const lucet_module_desc &d = *impl_->desc;
    for (uint32_t i = 0; i < d.num_exports; i++) {
        const lucet_export_desc &e = d.exports[i];
        if (std::string_view(e.name, e.name_len) != name) continue;
        if (static_cast<ExternKind>(e.kind) != kind)
            return make_error("export " + std::string(name) + " is a " + extern_kind_name(static_cast<ExternKind>(e.kind)) +
                              ", not a " + extern_kind_name(kind));
        Extern ex;
        ex.kind = kind;
        ex.owner = weak_from_this().lock();  // null once retired (its group keeps it)
        ex.instance = this;
        switch (kind) {
        case ExternKind::Func: {
            const lucet_funcref &f = impl_->funcs[e.index];
            ex.func_type = module_->func_type(e.index);
            ex.code = f.func;
            // A re-exported host function stays a host function: each
            // importer passes its own vmctx.
            ex.func_vmctx = impl_->func_is_host[e.index] ? nullptr : f.vmctx;
            break;
        }
        case ExternKind::Table: {
            ex.table = impl_->tables[e.index];
            if (ex.table->max != UINT32_MAX) ex.limits.max = ex.table->max;
            ex.limits.min = ex.table->size;
            break;
        }
        case ExternKind::Memory: {
            ex.memory = vmctx_->mem;
            ex.limits.min = ex.memory->size / kWasmPage;
            if (impl_->has_own_memory) ex.limits.max = impl_->memory_declared_max;
            else ex.limits.max = impl_->imported_memory_max;
            break;
        }
        case ExternKind::Global: {
            ex.global = impl_->global_slot(e.index);
            ex.global_type.type = module_->impl_->global_types[e.index];
            if (e.index < d.num_imported_globals) {
                uint32_t seen = 0;
                for (uint32_t k = 0; k < d.num_imports; k++) {
                    if (d.imports[k].kind != LUCET_EXTERN_GLOBAL) continue;
                    if (seen++ == e.index) {
                        ex.global_type.mut = d.imports[k].mut != 0;
                        break;
                    }
                }
            } else {
                ex.global_type.mut = d.globals[e.index - d.num_imported_globals].mut != 0;
            }
            break;
        }
        }
        return ex;
    }
    return make_error("unknown export " + std::string(name) + " (" + extern_kind_name(kind) + ") in " + module_->path());
}

Result<Val> Instance::get_global(std::string_view export_name) {
    auto ex = get_export(export_name, ExternKind::Global);
    if (!ex) return ex.error();
    if (ex->global_type.type == ValType::V128) return Val::v128(ex->global[0], ex->global[1]);
    return Val{ex->global_type.type, *ex->global};
}

uint8_t *Instance::heap() const { return vmctx_->mem ? vmctx_->mem->base : nullptr; }
uint64_t Instance::heap_len() const { return vmctx_->mem ? vmctx_->mem->size : 0; }

bool Instance::check_heap(uint64_t ptr, uint64_t len) const {
    uint64_t size = heap_len();
    return ptr <= size && len <= size - ptr;
}

Instance *Instance::from_vmctx(lucet_vmctx *ctx) {
    return ctx && ctx->instance ? static_cast<Impl *>(ctx->instance)->self : nullptr;
}

}  // namespace lucet
