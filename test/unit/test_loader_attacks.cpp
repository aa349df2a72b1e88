// test_loader_attacks.cpp: adversarial module files against the loader
// (elf check + memfd + descriptor checks), the signature trailer and the
// data-image mapping. Real .so files built at test time by cc and lucetc.
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

#include "rt_test_modules.h"
#include "runtime/runtime.h"
#include "trust_test_util.h"
#include "util/module_signature.h"

using namespace lucet;
using trust_test::dir;

namespace {

// The hand-written main module with `from` replaced by `to` in its source.
std::string lying_module(const std::string &name, const std::string &from, const std::string &to) {
    std::string src = rt_test::main_module_source({});
    size_t at = src.find(from);
    REQUIRE(at != std::string::npos);
    src.replace(at, from.size(), to);
    return trust_test::cc_so(name, src, "-nostdlib -Wl,-z,noexecstack -Wl,-z,relro");
}

// A new key pair, written to <dir>/<name>.sk and .pk and read back.
struct KeyPair {
    sig::PublicKey pk;
    sig::SecretKey sk;
};
KeyPair fresh_keys(const std::string &name) {
    std::string sk_path = dir() + "/" + name + ".sk", pk_path = dir() + "/" + name + ".pk";
    unlink(sk_path.c_str());
    unlink(pk_path.c_str());
    REQUIRE(sig::generate_key_files(sk_path, pk_path).ok());
    auto pk = sig::read_public_key(pk_path);
    auto sk = sig::read_secret_key(sk_path);
    REQUIRE((pk.ok() && sk.ok()));
    return {*pk, *sk};
}

void expect_bad_desc(const std::string &so, const std::string &why) {
    auto m = DlModule::load(so);
    REQUIRE_FALSE(m.ok());
    CHECK_THAT(m.error().message, Catch::Contains(so + ": malformed module descriptor: " + why));
}

}  // namespace

TEST_CASE("a descriptor whose pointers leave the module is refused at load", "[elf][attack]") {
    // Untouched, the module loads (the checks below are not what refuses them).
    REQUIRE(DlModule::load(lying_module("desc_ok", ".rt = &lucet_rt", ".rt = &lucet_rt")).ok());
    // The loader writes the runtime table and the type ids through the
    // first three: before the fix, into host memory or read-only pages (the
    // host crashed in load). Instantiation copies (or maps) the data bytes
    // into the guest's heap: before the fix, host memory.
    const std::string hello = "(const uint8_t *)\"hello\", 5";
    struct Lie {
        const char *name, *from, *to, *why;
    };
    const Lie lies[] = {
        {"rt_abs", ".rt = &lucet_rt", ".rt = (lucet_rt_fns *)0x10000", "its runtime function table is not in the module's writable data"},
        {"rt_rodata", ".rt = &lucet_rt", ".rt = (lucet_rt_fns *)(\"0123456789abcdef\" + 0)", "its runtime function table is not in the module's writable data"},
        {"ids_relro", ".type_ids = type_ids", ".type_ids = (uint64_t *)sigs", "its type_ids array is not in the module's writable data"},
        {"data_abs", hello.c_str(), "(const uint8_t *)0x10000, 5", "data segment 0's bytes are not in the module"},
        {"data_long", hello.c_str(), "(const uint8_t *)\"hello\", 60000", "data segment 0's bytes are not in the module"},
        {"sigs_abs", ".sigs = sigs", ".sigs = (const lucet_sig_desc *)0x10000", "one of its tables is not in the module"},
        {"exports_long", ".num_exports = 18", ".num_exports = 100000", "one of its tables is not in the module"},
        // What the tables point at: names and signature types the loader reads.
        {"name_abs", "{\"div\", 3,", "{(const char *)0x10000, 3,", "export 0's name is not in the module"},
        {"name_long", "{\"div\", 3,", "{\"div\", 3000000,", "export 0's name is not in the module"},
        {"types_abs", "sig0_t,", "(const uint8_t *)0x10000,", "signature 0's types are not in the module"},
    };
    for (const Lie &l : lies) {
        INFO(l.name);
        expect_bad_desc(lying_module(std::string("desc_") + l.name, l.from, l.to), l.why);
    }
}

TEST_CASE("a signed module with bytes appended before a copy of its trailer is refused", "[signature][attack]") {
    const KeyPair keys = fresh_keys("append");
    std::string so = trust_test::compile_wat("append", "(module (memory 1) (func (export \"f\")))");
    REQUIRE(sig::sign_file(so, keys.sk).ok());
    std::vector<uint8_t> good = trust_test::read_file(so);
    std::vector<uint8_t> trailer(good.end() - sig::kTrailerBytes, good.end());
    ModuleLoadOptions o;
    o.signature_public_key = keys.pk;
    REQUIRE(DlModule::load(so, o).ok());
    // Junk after the trailer; junk then the same trailer again (key id and magic right).
    std::vector<uint8_t> junk = good;
    junk.insert(junk.end(), {1, 2, 3, 4});
    std::vector<uint8_t> again = junk;
    again.insert(again.end(), trailer.begin(), trailer.end());
    for (auto &[name, bytes] : {std::pair{"append_junk", junk}, std::pair{"append_again", again}}) {
        std::string path = dir() + "/" + name + ".so";
        trust_test::write_bytes(path, bytes);
        auto m = DlModule::load(path, o);
        INFO(name);
        REQUIRE_FALSE(m.ok());
        CHECK_THAT(m.error().message, Catch::Contains(path + ": refusing to load"));
    }
}

TEST_CASE("a module file rewritten after load changes nothing the instances see", "[cow][attack]") {
    // 3 pages of 'A': mapped into the heap from the module file. The path is
    // then rewritten in place (same inode) with 'B's: instances must keep
    // seeing the bytes that were checked and loaded.
    auto wat = [](char c) {
        return "(module (memory (export \"memory\") 1) (data (i32.const 4096) \"" + std::string(3 * 4096, c) + "\"))";
    };
    std::string so = trust_test::compile_wat("swap_a", wat('A'));
    std::string so_b = trust_test::compile_wat("swap_b", wat('B'));
    // A writable file (lucetc's output is read-only, whose data image the
    // loader maps from the file instead: README "Trust model").
    REQUIRE(chmod(so.c_str(), 0755) == 0);
    auto m = DlModule::load(so);
    REQUIRE(m.ok());
    std::vector<uint8_t> b = trust_test::read_file(so_b);
    trust_test::write_bytes(so, b);  // O_TRUNC: same inode
    CHECK(rt_test::image_bytes_seen(*m, 'A') == 3 * 4096);
}

TEST_CASE("another process cannot write the loaded module's memfd through /proc", "[memfd][attack]") {
    // The loader's memfd holds the checked bytes that every instance runs
    // and maps its data from. A process of the same user can reopen it
    // through /proc/PID/fd/N for writing; the seals must refuse the write
    // and a shared writable mapping, and instances keep the loaded bytes.
    std::string marker(3 * 4096, 'Q');
    std::string so = trust_test::compile_wat(
        "memfd_seal", "(module (memory (export \"memory\") 1) (data (i32.const 4096) \"" + marker + "\"))");
    REQUIRE(chmod(so.c_str(), 0755) == 0);  // writable: copied whole into the memfd
    auto m = DlModule::load(so);
    REQUIRE(m.ok());
    // This module's memfd: the lucet-module memfd holding the marker.
    std::string memfd;
    off_t at = -1;
    DIR *d = opendir("/proc/self/fd");
    REQUIRE(d);
    while (dirent *e = readdir(d)) {
        std::string fdp = std::string("/proc/self/fd/") + e->d_name;
        char target[256] = {};
        if (readlink(fdp.c_str(), target, sizeof target - 1) <= 0) continue;
        if (std::string(target).rfind("/memfd:lucet-module", 0) != 0) continue;
        std::vector<uint8_t> bytes = trust_test::read_file(fdp);
        auto it = std::search(bytes.begin(), bytes.end(), marker.begin(), marker.end());
        if (it == bytes.end()) continue;
        memfd = std::string("/proc/") + std::to_string(getpid()) + "/fd/" + e->d_name;
        at = it - bytes.begin();
    }
    closedir(d);
    REQUIRE(at >= 0);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // Exit codes: 0 refused as it must be, 1 cannot open, 2 write went
        // through, 3 shared writable mapping went through.
        int fd = open(memfd.c_str(), O_RDWR);
        if (fd < 0) _exit(1);
        std::string evil(4096, 'X');
        if (pwrite(fd, evil.data(), evil.size(), at) > 0) _exit(2);
        void *p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, at & ~off_t(4095));
        if (p != MAP_FAILED) {
            std::memset(p, 'X', 4096);
            _exit(3);
        }
        _exit(0);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(rt_test::image_bytes_seen(*m, 'Q') == 3 * 4096);
}

namespace {

using rt_test::file_mapped;

// 3 pages of `c` at heap offset 4096 (lucetc puts them in .lucet_image).
std::string image_wat(char c) {
    return "(module (memory (export \"memory\") 1) (data (i32.const 4096) \"" + std::string(3 * 4096, c) + "\"))";
}

// Loads `so` with `o`, then rewrites it in place (same inode) with the bytes
// of `other`, then counts the 'A's an instance sees where the data is.
long as_seen_after_rewrite(const std::string &so, const std::string &other, const ModuleLoadOptions &o,
                           bool *mapped_from_file) {
    auto m = DlModule::load(so, o);
    REQUIRE(m.ok());
    *mapped_from_file = file_mapped(so);
    chmod(so.c_str(), 0644);
    trust_test::write_bytes(so, trust_test::read_file(other));  // O_TRUNC: same inode
    return rt_test::image_bytes_seen(*m, 'A');
}

}  // namespace

TEST_CASE("the data image is mapped from the module file only when nobody else can write it", "[cow][attack]") {
    // A file of this user (or root) with no write bit: the loader leaves its
    // data image out of the memfd copy and maps it from the file.
    std::string so = trust_test::compile_wat("image_ro", image_wat('A'));
    std::string so_b = trust_test::compile_wat("image_ro_b", image_wat('B'));
    REQUIRE(chmod(so.c_str(), 0444) == 0);
    {
        auto m = DlModule::load(so);
        REQUIRE(m.ok());
        CHECK(file_mapped(so));
        CHECK(rt_test::image_bytes_seen(*m, 'A') == 3 * 4096);
    }
    bool mapped = true;
    SECTION("owned by another user: copied, a rewrite after load changes nothing") {
        if (geteuid() == 0) {
            REQUIRE(chown(so.c_str(), 65534, 65534) == 0);
            CHECK(as_seen_after_rewrite(so, so_b, {}, &mapped) == 3 * 4096);
            CHECK_FALSE(mapped);
        } else {
            WARN("not run: chown needs root");
        }
    }
    SECTION("group-writable: copied, a rewrite after load changes nothing") {
        REQUIRE(chmod(so.c_str(), 0464) == 0);
        CHECK(as_seen_after_rewrite(so, so_b, {}, &mapped) == 3 * 4096);
        CHECK_FALSE(mapped);
    }
    SECTION("signed and checked: copied, a rewrite after verification changes nothing") {
        const KeyPair keys = fresh_keys("image");
        REQUIRE(chmod(so.c_str(), 0644) == 0);
        REQUIRE(sig::sign_file(so, keys.sk).ok());
        REQUIRE(chmod(so.c_str(), 0444) == 0);
        ModuleLoadOptions o;
        o.signature_public_key = keys.pk;
        CHECK(as_seen_after_rewrite(so, so_b, o, &mapped) == 3 * 4096);
        CHECK_FALSE(mapped);
    }
}

TEST_CASE("a relocation that rewrites the dynamic section after the check is refused", "[elf][attack]") {
    // A lucetc module whose first R_X86_64_RELATIVE relocation is retargeted
    // at the value of its DT_SYMTAB entry: the loader would then look symbols
    // up (for the remaining relocations and dlsym) in a table the check never saw.
    std::string so = trust_test::compile_wat("reloc_dyn", "(module (memory 1) (func (export \"f\")))");
    std::vector<uint8_t> f = trust_test::read_file(so);
    auto at = [&](uint64_t off, auto &v) { std::memcpy(&v, f.data() + off, sizeof v); };
    Elf64_Ehdr eh;
    at(0, eh);
    std::vector<Elf64_Phdr> loads;
    Elf64_Phdr dyn{};
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        at(eh.e_phoff + i * sizeof ph, ph);
        if (ph.p_type == PT_LOAD) loads.push_back(ph);
        if (ph.p_type == PT_DYNAMIC) dyn = ph;
    }
    auto file_off = [&](uint64_t vaddr) {
        for (const Elf64_Phdr &ph : loads)
            if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) return ph.p_offset + (vaddr - ph.p_vaddr);
        FAIL("address not in the file");
        return uint64_t(0);
    };
    uint64_t rela = 0, relasz = 0, symtab_entry = 0;
    for (uint64_t k = 0; k * sizeof(Elf64_Dyn) < dyn.p_filesz; k++) {
        Elf64_Dyn d;
        at(dyn.p_offset + k * sizeof d, d);
        if (d.d_tag == DT_RELA) rela = d.d_un.d_ptr;
        if (d.d_tag == DT_RELASZ) relasz = d.d_un.d_val;
        if (d.d_tag == DT_SYMTAB) symtab_entry = dyn.p_vaddr + k * sizeof d + 8;
    }
    REQUIRE((rela && relasz && symtab_entry));
    bool patched = false;
    for (uint64_t r = 0; r < relasz && !patched; r += sizeof(Elf64_Rela)) {
        Elf64_Rela rel;
        uint64_t off = file_off(rela + r);
        at(off, rel);
        if (ELF64_R_TYPE(rel.r_info) != R_X86_64_RELATIVE) continue;
        rel.r_offset = symtab_entry;
        std::memcpy(f.data() + off, &rel, sizeof rel);
        patched = true;
    }
    REQUIRE(patched);
    std::string bad = dir() + "/reloc_dyn_patched.so";
    trust_test::write_bytes(bad, f);
    auto m = DlModule::load(bad);
    REQUIRE_FALSE(m.ok());
    CHECK_THAT(m.error().message, Catch::Contains(bad + ": refusing to load: a relocation writes into the dynamic section"));
}
