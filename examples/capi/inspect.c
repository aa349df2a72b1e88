/* inspect.c: lists a module's imports and exports with their types.
 *   inspect MODULE.so */
#include <stdio.h>

#include "lucet_wasi.h"

static const char *vt(unsigned t) {
    switch (t) {
    case lucet_val_type_i32: return "i32";
    case lucet_val_type_i64: return "i64";
    case lucet_val_type_f32: return "f32";
    case lucet_val_type_f64: return "f64";
    case lucet_val_type_v128: return "v128";
    case lucet_val_type_funcref: return "funcref";
    case lucet_val_type_externref: return "externref";
    }
    return "?";
}

static void print_type(const struct lucet_extern_type *t) {
    uint32_t k;
    printf("%s", lucet_externkind_name(t->kind));
    switch (t->kind) {
    case lucet_externkind_func:
        printf(" (");
        for (k = 0; k < t->nparams; k++) printf("%s%s", k ? " " : "", vt(t->params[k]));
        printf(") -> (");
        for (k = 0; k < t->nresults; k++) printf("%s%s", k ? " " : "", vt(t->results[k]));
        printf(")");
        break;
    case lucet_externkind_global: printf(" %s%s", t->global_mutable ? "mut " : "", vt(t->global_type)); break;
    case lucet_externkind_table: printf(" %s", vt(t->table_elem_type)); /* fall through */
    case lucet_externkind_memory:
        printf(" min %llu", (unsigned long long)t->limits.min);
        if (t->limits.has_max) printf(" max %llu", (unsigned long long)t->limits.max);
        break;
    }
    printf("\n");
}

int main(int argc, char **argv) {
    struct lucet_dl_module *mod;
    struct lucet_extern_type t;
    size_t n, i;
    if (argc != 2) {
        fprintf(stderr, "usage: inspect MODULE.so\n");
        return 2;
    }
    if (lucet_dl_module_load(argv[1], &mod) != lucet_error_ok) {
        fprintf(stderr, "inspect: %s\n", lucet_error_message());
        return 1;
    }
    lucet_dl_module_import_count(mod, &n);
    for (i = 0; i < n; i++) {
        lucet_dl_module_import_type(mod, i, &t);
        printf("import %.*s.%.*s: ", (int)t.module_len, t.module, (int)t.name_len, t.name);
        print_type(&t);
    }
    lucet_dl_module_export_count(mod, &n);
    for (i = 0; i < n; i++) {
        lucet_dl_module_export_type(mod, i, &t);
        printf("export %.*s: ", (int)t.name_len, t.name);
        print_type(&t);
    }
    lucet_dl_module_release(mod);
    return 0;
}
