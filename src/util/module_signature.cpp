// module_signature.cpp: see module_signature.h.
#include "util/module_signature.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/file_bytes.h"

namespace lucet::sig {

namespace {

constexpr char kContext[] = "lucet-module-signature-v1";  // signed with its NUL
constexpr char kMagic[8] = {'L', 'U', 'C', 'E', 'T', 'S', 'G', '1'};
constexpr char kPublicPrefix[] = "lucet-ed25519-public-key: ";
constexpr char kSecretPrefix[] = "lucet-ed25519-secret-key: ";
constexpr uint64_t kMaxModuleBytes = uint64_t(4) << 30;
constexpr uint64_t kMaxKeyFileBytes = 4096;

Status init_sodium() {
    if (sodium_init() < 0) return make_error("cannot initialise libsodium");
    return {};
}

std::array<uint8_t, 8> key_id(const uint8_t *pk) {
    uint8_t h[crypto_generichash_BYTES];
    crypto_generichash(h, sizeof h, pk, kPublicKeyBytes, nullptr, 0);
    std::array<uint8_t, 8> id;
    std::memcpy(id.data(), h, id.size());
    return id;
}

std::string to_hex(const uint8_t *p, size_t n) {
    std::string s(2 * n + 1, '\0');
    sodium_bin2hex(s.data(), s.size(), p, n);
    s.pop_back();
    return s;
}

Status write_new_file(const std::string &path, const std::string &text, mode_t mode) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return make_error(path + ": cannot create: " + std::strerror(errno));
    if (int e = write_all(fd, text.data(), text.size())) {
        close(fd);
        unlink(path.c_str());
        return make_error(path + ": cannot write: " + std::strerror(e));
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(path.c_str());
        return make_error(path + ": cannot write: " + std::strerror(e));
    }
    return {};
}

// "<prefix><2*n hex digits>" with an optional final newline, into out[n].
Status read_key_file(const std::string &path, const char *prefix, uint8_t *out, size_t n, bool secret) {
    if (secret) {
        struct stat st;
        if (stat(path.c_str(), &st) == 0 && (st.st_mode & 077))
            return make_error(path + ": secret key file is accessible by other users (chmod 600 it)");
    }
    auto bytes = read_file_bytes(path, kMaxKeyFileBytes);
    if (!bytes) return bytes.error();
    std::string text(bytes->begin(), bytes->end());
    sodium_memzero(bytes->data(), bytes->size());
    if (!text.empty() && text.back() == '\n') text.pop_back();
    size_t plen = std::strlen(prefix);
    Status st;
    size_t got = 0;
    if (text.compare(0, plen, prefix) != 0 || text.size() != plen + 2 * n ||
        sodium_hex2bin(out, n, text.data() + plen, 2 * n, nullptr, &got, nullptr) != 0 || got != n)
        st = make_error(path + ": not a lucet " + std::string(secret ? "secret" : "public") +
                        " key file (expected one line '" + prefix + "' and " + std::to_string(2 * n) +
                        " hex digits)");
    sodium_memzero(text.data(), text.size());
    return st;
}

}  // namespace

Status generate_key_files(const std::string &secret_key_path, const std::string &public_key_path) {
    LUCET_TRY(init_sodium());
    if (secret_key_path == public_key_path) return make_error("the secret and public key files must differ");
    PublicKey pk;
    SecretKey sk;
    crypto_sign_keypair(pk.data(), sk.data());
    std::string sk_text = kSecretPrefix + to_hex(sk.data(), sk.size()) + "\n";
    sodium_memzero(sk.data(), sk.size());
    Status st = write_new_file(secret_key_path, sk_text, 0600);
    sodium_memzero(sk_text.data(), sk_text.size());
    LUCET_TRY(st);
    st = write_new_file(public_key_path, kPublicPrefix + to_hex(pk.data(), pk.size()) + "\n", 0644);
    if (!st) unlink(secret_key_path.c_str());
    return st;
}

Result<PublicKey> read_public_key(const std::string &path) {
    LUCET_TRY(init_sodium());
    PublicKey pk;
    LUCET_TRY(read_key_file(path, kPublicPrefix, pk.data(), pk.size(), false));
    return pk;
}

Result<SecretKey> read_secret_key(const std::string &path) {
    LUCET_TRY(init_sodium());
    SecretKey sk;
    LUCET_TRY(read_key_file(path, kSecretPrefix, sk.data(), sk.size(), true));
    // The second half is the public key of the first (the seed): check it.
    uint8_t seed[crypto_sign_SEEDBYTES], pk[kPublicKeyBytes], sk2[kSecretKeyBytes];
    crypto_sign_ed25519_sk_to_seed(seed, sk.data());
    crypto_sign_seed_keypair(pk, sk2, seed);
    bool same = sodium_memcmp(sk2, sk.data(), sizeof sk2) == 0;
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk2, sizeof sk2);
    if (!same) {
        sodium_memzero(sk.data(), sk.size());
        return make_error(path + ": corrupt secret key (its public half does not match its seed)");
    }
    return sk;
}

bool has_trailer(std::span<const uint8_t> file) {
    return file.size() >= kTrailerBytes && std::memcmp(file.data() + file.size() - 8, kMagic, 8) == 0;
}

Result<std::array<uint8_t, kTrailerBytes>> sign(std::span<const uint8_t> body, const SecretKey &sk) {
    LUCET_TRY(init_sodium());
    std::array<uint8_t, kTrailerBytes> t{};
    crypto_sign_state state;
    crypto_sign_init(&state);
    crypto_sign_update(&state, reinterpret_cast<const uint8_t *>(kContext), sizeof kContext);
    crypto_sign_update(&state, body.data(), body.size());
    if (crypto_sign_final_create(&state, t.data(), nullptr, sk.data()) != 0) return make_error("signing failed");
    auto id = key_id(sk.data() + crypto_sign_SEEDBYTES);
    std::memcpy(t.data() + kSignatureBytes, id.data(), id.size());
    std::memcpy(t.data() + kSignatureBytes + 8, kMagic, 8);
    return t;
}

Result<size_t> verify(const std::string &name, std::span<const uint8_t> file, const PublicKey &pk) {
    LUCET_TRY(init_sodium());
    auto refuse = [&](const std::string &why) { return make_error(name + ": refusing to load: " + why, ErrorKind::Module); };
    if (!has_trailer(file))
        return refuse("no module signature (signatures are required; sign modules with lucetc --signature-create)");
    size_t body = file.size() - kTrailerBytes;
    const uint8_t *t = file.data() + body;
    auto want = key_id(pk.data());
    if (std::memcmp(t + kSignatureBytes, want.data(), want.size()) != 0)
        return refuse("signed by another key (key id " + to_hex(t + kSignatureBytes, 8) + ", the required key's is " +
                      to_hex(want.data(), want.size()) + ")");
    crypto_sign_state state;
    crypto_sign_init(&state);
    crypto_sign_update(&state, reinterpret_cast<const uint8_t *>(kContext), sizeof kContext);
    crypto_sign_update(&state, file.data(), body);
    if (crypto_sign_final_verify(&state, t, pk.data()) != 0)
        return refuse("invalid module signature (the file was modified after it was signed)");
    return body;
}

Status sign_file(const std::string &path, const SecretKey &sk) {
    auto bytes = read_file_bytes(path, kMaxModuleBytes);
    if (!bytes) return bytes.error();
    if (has_trailer(*bytes)) return make_error(path + ": already signed");
    auto trailer = sign(*bytes, sk);
    if (!trailer) return trailer.error();
    struct stat st;
    mode_t mode = stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0644;
    std::string tmp = path + ".sign-tmp" + std::to_string(getpid());
    unlink(tmp.c_str());
    std::string text(bytes->begin(), bytes->end());
    text.append(reinterpret_cast<const char *>(trailer->data()), trailer->size());
    LUCET_TRY(write_new_file(tmp, text, mode));
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        int e = errno;
        unlink(tmp.c_str());
        return make_error(path + ": cannot replace it with the signed module: " + std::strerror(e));
    }
    return {};
}

}  // namespace lucet::sig
