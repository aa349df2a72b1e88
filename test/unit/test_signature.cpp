// test_signature.cpp: Ed25519 module signatures (util/module_signature.h)
// and DlModule::load with a required public key.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "rt_test_modules.h"
#include "runtime/runtime.h"
#include "trust_test_util.h"
#include "util/module_signature.h"

using namespace lucet;
using trust_test::dir;

namespace {

constexpr const char *kWat = R"((module
  (func (export "answer") (result i32) (i32.const 42))))";

struct Keys {
    sig::PublicKey pk;
    sig::SecretKey sk;
};

Keys make_keys(const std::string &name) {
    static int serial = 0;  // sections run the test case again: fresh files each time
    std::string base = dir() + "/" + name + std::to_string(++serial);
    std::string sk_path = base + ".sk", pk_path = base + ".pk";
    Status st = sig::generate_key_files(sk_path, pk_path);
    if (!st) FAIL(st.error().to_string());
    auto pk = sig::read_public_key(pk_path);
    auto sk = sig::read_secret_key(sk_path);
    REQUIRE(pk.ok());
    REQUIRE(sk.ok());
    return {*pk, *sk};
}

// A freshly compiled and signed module; returns its path.
std::string signed_module(const std::string &name, const Keys &k) {
    std::string so = trust_test::compile_wat(name, kWat);
    Status st = sig::sign_file(so, k.sk);
    if (!st) FAIL(st.error().to_string());
    return so;
}

Result<std::shared_ptr<DlModule>> load_with(const std::string &so, const sig::PublicKey &pk) {
    ModuleLoadOptions o;
    o.signature_public_key = pk;
    return DlModule::load(so, o);
}

void expect_refused(const std::string &so, const sig::PublicKey &pk, const std::string &reason) {
    auto m = load_with(so, pk);
    REQUIRE_FALSE(m.ok());
    CHECK_THAT(m.error().message, Catch::Contains(so + ": refusing to load: " + reason));
}

}  // namespace

TEST_CASE("key files: made once, read back, secret kept private", "[signature]") {
    std::string sk = dir() + "/k1.sk", pk = dir() + "/k1.pk";
    REQUIRE(sig::generate_key_files(sk, pk).ok());
    struct stat st;
    REQUIRE(stat(sk.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(sig::read_public_key(pk).ok());
    CHECK(sig::read_secret_key(sk).ok());
    // Never overwritten.
    auto again = sig::generate_key_files(sk, dir() + "/k1b.pk");
    REQUIRE_FALSE(again.ok());
    CHECK_THAT(again.error().message, Catch::Contains("cannot create"));
    CHECK_FALSE(trust_test::exists(dir() + "/k1b.pk"));
    // A secret key others can read is refused; so are malformed key files.
    REQUIRE(chmod(sk.c_str(), 0644) == 0);
    auto open_sk = sig::read_secret_key(sk);
    REQUIRE_FALSE(open_sk.ok());
    CHECK_THAT(open_sk.error().message, Catch::Contains("accessible by other users"));
    trust_test::write_file(dir() + "/bad.pk", "lucet-ed25519-public-key: 1234\n");
    auto bad = sig::read_public_key(dir() + "/bad.pk");
    REQUIRE_FALSE(bad.ok());
    CHECK_THAT(bad.error().message, Catch::Contains("not a lucet public key file"));
    auto as_pk = sig::read_public_key(sk);  // a secret key file is not a public one
    CHECK_FALSE(as_pk.ok());
}

TEST_CASE("a signed module loads with its key, and without one", "[signature]") {
    Keys k = make_keys("ok");
    std::string so = signed_module("signed_ok", k);
    auto m = load_with(so, k.pk);
    if (!m) FAIL(m.error().to_string());
    auto region = Region::create(1, RegionLimits{});
    REQUIRE(region.ok());
    auto inst = Instance::create(*region, *m, rt_test::no_imports());
    REQUIRE(inst.ok());
    RunResult r = (*inst)->run("answer", {});
    REQUIRE(r.kind == RunResult::Kind::Returned);
    CHECK(r.values.at(0).bits == 42);
    // Not requiring a signature: loads the signed bytes all the same.
    CHECK(DlModule::load(so).ok());
    // Signing twice is refused (the trailer would be signed too).
    auto twice = sig::sign_file(so, k.sk);
    REQUIRE_FALSE(twice.ok());
    CHECK_THAT(twice.error().message, Catch::Contains("already signed"));
}

TEST_CASE("tampered, wrongly signed and unsigned modules are refused", "[signature]") {
    Keys k = make_keys("main"), other = make_keys("other");
    std::string so = signed_module("signed_main", k);
    const std::vector<uint8_t> good = trust_test::read_file(so);
    const size_t body = good.size() - sig::kTrailerBytes;

    SECTION("one byte flipped anywhere") {
        // ELF header, program headers, code and data, the last signed byte,
        // and the signature itself.
        for (size_t pos : {size_t(0), size_t(5), size_t(100), body / 3, body / 2, body - 1, body, body + 63}) {
            std::vector<uint8_t> t = good;
            t[pos] ^= 0x01;
            std::string path = dir() + "/tampered_" + std::to_string(pos) + ".so";
            trust_test::write_bytes(path, t);
            INFO("flipped byte " << pos << " of " << good.size());
            expect_refused(path, k.pk, "invalid module signature (the file was modified after it was signed)");
        }
    }
    SECTION("signed by another key") {
        expect_refused(so, other.pk, "signed by another key");
        std::string by_other = signed_module("signed_other", other);
        expect_refused(by_other, k.pk, "signed by another key");
    }
    SECTION("no signature") {
        std::string plain = trust_test::compile_wat("unsigned", kWat);
        expect_refused(plain, k.pk, "no module signature");
        CHECK(DlModule::load(plain).ok());  // fine when none is required
        // The trailer cut off, or only half of it there.
        std::string cut = dir() + "/cut.so";
        trust_test::write_bytes(cut, std::vector<uint8_t>(good.begin(), good.begin() + body));
        expect_refused(cut, k.pk, "no module signature");
        std::string half = dir() + "/half.so";
        trust_test::write_bytes(half, std::vector<uint8_t>(good.begin(), good.end() - 40));
        expect_refused(half, k.pk, "no module signature");
    }
    SECTION("a signed file that is not a module is still checked") {
        // Signatures do not replace the ELF check: a signed .so with a
        // constructor is refused whatever key signed it.
        std::string so2 = trust_test::cc_so(
            "signed_ctor", "__attribute__((constructor)) static void c(void) {} int lucet_module;\n", "");
        REQUIRE(sig::sign_file(so2, k.sk).ok());
        expect_refused(so2, k.pk, "DT_INIT_ARRAY present");
    }
}
