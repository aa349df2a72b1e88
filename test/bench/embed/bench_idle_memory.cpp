// (4) Host-side memory of an idle instance beyond the pages its guest
// touched. 200 instances of a small module (1 page of memory, a table, a few
// globals, a data segment) are created and each runs one export that
// touches one heap page; then the resident set, the page tables (VmPTE: each
// slot's pages sit gigabytes apart, so each needs page-table pages of its own,
// which RSS does not count) and malloc'd bytes are compared with before, and
// mincore() tells what of each slot is resident.
#include <malloc.h>
#include <sys/mman.h>

#include "bench_util.h"

using namespace lucet;

namespace {

const char *kWat = R"WAT(
(module
  (memory 1)
  (table 16 funcref)
  (global $a (mut i32) (i32.const 1))
  (global $b (mut i64) (i64.const 2))
  (data (i32.const 1024) "some initial data")
  (func (export "touch") (i32.store (i32.const 2048) (i32.const 7)))
)
)WAT";

uint64_t rss_bytes() {
    FILE *f = std::fopen("/proc/self/statm", "r");
    if (!f) bench::die("cannot read /proc/self/statm");
    unsigned long size = 0, resident = 0;
    if (std::fscanf(f, "%lu %lu", &size, &resident) != 2) bench::die("bad /proc/self/statm");
    std::fclose(f);
    return uint64_t(resident) * 4096;
}

// Bytes of page tables of the process (VmPTE in /proc/self/status).
uint64_t page_table_bytes() {
    FILE *f = std::fopen("/proc/self/status", "r");
    if (!f) bench::die("cannot read /proc/self/status");
    char line[256];
    unsigned long kib = 0;
    bool found = false;
    while (!found && std::fgets(line, sizeof line, f)) found = std::sscanf(line, "VmPTE: %lu kB", &kib) == 1;
    std::fclose(f);
    if (!found) bench::die("no VmPTE line in /proc/self/status");
    return uint64_t(kib) * 1024;
}

// Resident 4 KiB pages in [p, p + len).
uint64_t resident_pages(uint8_t *p, uint64_t len) {
    uint64_t pages = (len + 4095) / 4096, n = 0;
    std::vector<unsigned char> vec(pages);
    if (mincore(p, len, vec.data()) != 0) return 0;
    for (unsigned char c : vec) n += c & 1;
    return n;
}

}  // namespace

int main() {
    constexpr int kInstances = 200;
    auto m = bench::compile_wat("idle", kWat);
    auto region = bench::make_region(kInstances);
    auto imports = bench::no_imports();
    {
        // Warm up: the signal stack, the module's lazy state, malloc arenas.
        auto w = Instance::create(region, m, imports);
        if (!w) bench::die(w.error().to_string());
        (void)(*w)->run("touch", {});
    }
    std::vector<std::shared_ptr<Instance>> insts;
    insts.reserve(kInstances);
    uint64_t rss0 = rss_bytes(), pte0 = page_table_bytes();
    size_t heap0 = mallinfo2().uordblks;
    for (int i = 0; i < kInstances; i++) {
        auto inst = Instance::create(region, m, imports);
        if (!inst) bench::die(inst.error().to_string());
        if ((*inst)->run("touch", {}).kind != RunResult::Kind::Returned) bench::die("touch failed");
        insts.push_back(*inst);
    }
    uint64_t rss1 = rss_bytes(), pte1 = page_table_bytes();
    size_t heap1 = mallinfo2().uordblks;

    // Per slot: what is resident where.
    std::vector<double> vm, heap, stack, tables;
    for (auto &in : insts) {
        Instance::SlotLayout l = in->slot_layout();
        vm.push_back(resident_pages(l.vmctx, l.vmctx_size));
        heap.push_back(resident_pages(l.heap, in->heap_len()));
        stack.push_back(resident_pages(l.stack, l.stack_size));
    }
    double rss_per = double(rss1 - rss0) / kInstances;
    double pte_per = double(pte1 - pte0) / kInstances;
    double malloc_per = double(heap1 - heap0) / kInstances;
    double heap_pages = bench::median(heap);
    double beyond = rss_per + pte_per - heap_pages * 4096;
    std::printf("per idle instance: RSS delta %.0f B, page tables %.0f B, malloc'd %.0f B; resident pages: vmctx %.0f, "
                "heap %.0f (touched by the guest), guest stack %.0f\n",
                rss_per, pte_per, malloc_per, bench::median(vm), heap_pages, bench::median(stack));
    // The table's pages are included in the RSS delta (they are touched by
    // the element-free init only if written).
    bench::report("host memory (RSS + page tables) of an idle instance beyond guest pages", beyond / 1024, "KiB", 64);
    return bench::exit_status();
}
