/* traps.c: what a trap tells the embedder: its code, the trapping wasm
 * function (index and name-section name), the wasm byte offset, and the
 * backtrace of wasm frames, one by one or as lucet-wasi prints it. On
 * test/capi/wat/traps.wat (wat2wasm --debug-names keeps the names).
 *   traps MODULE.so */
#include <stdio.h>

#include "lucet_wasi.h"

int main(int argc, char **argv) {
    struct lucet_dl_module *mod;
    struct lucet_region *region;
    struct lucet_instance *inst;
    struct lucet_result res;
    struct lucet_trap_info info;
    struct lucet_trap_frame frame;
    uint32_t k;
    if (argc != 2) return 2;
    if (lucet_dl_module_load(argv[1], &mod) || lucet_mmap_region_create(1, NULL, &region) ||
        lucet_region_new_instance(region, mod, &inst)) {
        fprintf(stderr, "traps: %s\n", lucet_error_message());
        return 1;
    }
    /* _start calls level1 -> level2 -> level3, which reaches `unreachable`. */
    if (lucet_instance_run(inst, "_start", 0, NULL, &res) != lucet_error_runtime_fault) return 1;
    if (lucet_instance_trap_info(inst, &info) != lucet_error_ok) return 1;
    printf("trap: %s in func[%u] <%s>", lucet_trap_code_name(info.code), info.func_index, info.func_name);
    if (info.wasm_offset != LUCET_WASM_OFFSET_UNKNOWN) printf(" at wasm offset 0x%x", info.wasm_offset);
    printf("\n");
    for (k = 0; k < info.frame_count; k++) {
        if (lucet_instance_trap_frame(inst, k, &frame) != lucet_error_ok) return 1;
        printf("frame %u: func[%u]", k, frame.func_index);
        if (frame.func_name[0]) printf(" <%s>", frame.func_name); /* "": the name section has none */
        printf("%s\n", frame.inlined ? " (inlined)" : "");
    }
    /* The same backtrace as text. */
    fputs(lucet_instance_trap_backtrace(inst), stdout);
    /* The instance stays usable after a trap; the heap fault of "oob". */
    if (lucet_instance_run(inst, "oob", 0, NULL, &res) != lucet_error_runtime_fault) return 1;
    lucet_instance_trap_info(inst, &info);
    printf("trap: %s at wasm address 0x%llx in func[%u] <%s>\n", lucet_trap_code_name(info.code),
           (unsigned long long)info.heap_offset, info.func_index, info.func_name);
    /* A run that returns clears it. */
    lucet_instance_run(inst, "ok", 0, NULL, NULL);
    if (lucet_instance_trap_info(inst, &info) == lucet_error_runtime_fault) printf("after ok: no trap recorded\n");
    lucet_instance_release(inst);
    lucet_region_release(region);
    lucet_dl_module_release(mod);
    return 0;
}
