// module_info.cpp: a loaded module's imports and exports with their types,
// read from the descriptor the loader already checked.
#include "runtime/internal.h"

namespace lucet {

namespace {

Limits limits_of(const lucet_limits_desc &l) {
    Limits out;
    out.min = l.min;
    if (l.has_max) out.max = l.max;
    return out;
}

}  // namespace

size_t DlModule::num_exports() const { return desc_->num_exports; }
size_t DlModule::num_imports() const { return desc_->num_imports; }

DlModule::ExternInfo DlModule::import_info(size_t i) const {
    const lucet_import_desc &im = desc_->imports[i];
    ExternInfo out;
    out.kind = static_cast<ExternKind>(im.kind);
    out.module = std::string_view(im.module, im.module_len);
    out.name = std::string_view(im.field, im.field_len);
    // The index: how many imports of the same kind come before it.
    for (size_t k = 0; k < i; k++)
        if (desc_->imports[k].kind == im.kind) out.index++;
    switch (out.kind) {
    case ExternKind::Func: out.func_type = &impl_->sigs[im.type]; break;
    case ExternKind::Table:
        out.elem_type = static_cast<ValType>(im.type);
        out.limits = limits_of(im.limits);
        break;
    case ExternKind::Memory: out.limits = limits_of(im.limits); break;
    case ExternKind::Global:
        out.global_type.type = static_cast<ValType>(im.type);
        out.global_type.mut = im.mut != 0;
        break;
    }
    return out;
}

// The import of kind `kind` with kind-index `index`.
static size_t import_position(const lucet_module_desc &d, uint32_t kind, uint32_t index) {
    uint32_t seen = 0;
    for (size_t k = 0; k < d.num_imports; k++)
        if (d.imports[k].kind == kind && seen++ == index) return k;
    return d.num_imports;
}

DlModule::ExternInfo DlModule::export_info(size_t i) const {
    const lucet_module_desc &d = *desc_;
    const lucet_export_desc &e = d.exports[i];
    uint32_t nimported = 0;
    switch (static_cast<ExternKind>(e.kind)) {
    case ExternKind::Func: nimported = d.num_imported_funcs; break;
    case ExternKind::Table: nimported = d.num_imported_tables; break;
    case ExternKind::Memory: nimported = d.num_imported_memories; break;
    case ExternKind::Global: nimported = d.num_imported_globals; break;
    }
    ExternInfo out;
    if (e.index < nimported) {
        // The loader checked the import counts against the import table, so
        // the import exists; a re-export reports the import's type.
        size_t pos = import_position(d, e.kind, e.index);
        if (pos < d.num_imports) out = import_info(pos);
        else out.kind = static_cast<ExternKind>(e.kind);
        out.module = {};
    } else {
        uint32_t k = e.index - nimported;
        out.kind = static_cast<ExternKind>(e.kind);
        out.index = e.index;
        switch (out.kind) {
        case ExternKind::Func: out.func_type = &impl_->sigs[d.funcs[k].sig]; break;
        case ExternKind::Table:
            out.elem_type = static_cast<ValType>(d.tables[k].elem_type);
            out.limits = limits_of(d.tables[k].limits);
            break;
        case ExternKind::Memory: out.limits = limits_of(d.memories[k]); break;
        case ExternKind::Global:
            out.global_type.type = static_cast<ValType>(d.globals[k].type);
            out.global_type.mut = d.globals[k].mut != 0;
            break;
        }
    }
    out.name = std::string_view(e.name, e.name_len);
    out.index = e.index;
    return out;
}

}  // namespace lucet
