// module_signature.h: Ed25519 signatures of module .so files (libsodium).
//
// A signed module is the .so exactly as lucetc linked it, followed by an
// 80-byte trailer:
//
//   [ELF bytes ...][signature: 64][key id: 8][magic "LUCETSG1": 8]
//
// The signature is Ed25519ph (crypto_sign_init/update/final) over the
// context string "lucet-module-signature-v1" (with its NUL) followed by every
// byte before the trailer, so it covers the whole file that is loaded (the
// loader hands dlopen exactly those bytes). The key id is the first 8 bytes
// of BLAKE2b-256 of the public key; it is not signed and only lets a refusal
// say "signed by another key" instead of "bad signature".
//
// Key files are one line of text: "lucet-ed25519-public-key: <64 hex>" and
// "lucet-ed25519-secret-key: <128 hex>" (libsodium's seed || public key);
// the secret key file is created 0600 and refused when others can read it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "util/result.h"

namespace lucet::sig {

constexpr size_t kPublicKeyBytes = 32;
constexpr size_t kSecretKeyBytes = 64;
constexpr size_t kSignatureBytes = 64;
constexpr size_t kTrailerBytes = kSignatureBytes + 8 + 8;
using PublicKey = std::array<uint8_t, kPublicKeyBytes>;
using SecretKey = std::array<uint8_t, kSecretKeyBytes>;

// New key pair into two new files (refuses to overwrite either).
Status generate_key_files(const std::string &secret_key_path, const std::string &public_key_path);
Result<PublicKey> read_public_key(const std::string &path);
Result<SecretKey> read_secret_key(const std::string &path);

// Does `file` end with a signature trailer?
bool has_trailer(std::span<const uint8_t> file);
// The 80-byte trailer signing `body` (a module without trailer).
Result<std::array<uint8_t, kTrailerBytes>> sign(std::span<const uint8_t> body, const SecretKey &sk);
// Checks that `file` carries a valid signature by `pk`; returns the length of
// the signed body (the bytes to load). `name` names the file in messages.
Result<size_t> verify(const std::string &name, std::span<const uint8_t> file, const PublicKey &pk);
// Signs the module file at `path` in place (written to a temporary file next
// to it, then renamed over it). Refuses a file that is already signed.
Status sign_file(const std::string &path, const SecretKey &sk);

}  // namespace lucet::sig
