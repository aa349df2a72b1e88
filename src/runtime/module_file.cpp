// module_file.cpp: VerifiedModuleFile (see elf_check.h): read a module file
// once, verify its signature if one is required, check its ELF structure, and
// give dlopen exactly those bytes through a memfd.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/elf_check.h"
#include "util/file_bytes.h"
#include "util/module_signature.h"

namespace lucet::rt {

namespace {
constexpr uint64_t kMaxModuleBytes = uint64_t(4) << 30;
}

VerifiedModuleFile::~VerifiedModuleFile() {
    if (fd_ >= 0) close(fd_);
}

Result<std::unique_ptr<VerifiedModuleFile>> VerifiedModuleFile::open(
    const std::string &path, const std::optional<std::array<uint8_t, 32>> &public_key) {
    auto bytes = read_file_bytes(path, kMaxModuleBytes);
    if (!bytes) return make_error("cannot load module " + bytes.error().message, ErrorKind::Module);
    std::span<const uint8_t> body(*bytes);
    if (public_key) {
        auto len = sig::verify(path, body, *public_key);
        if (!len) return len.error();
        body = body.first(*len);
    } else if (sig::has_trailer(body)) {
        body = body.first(body.size() - sig::kTrailerBytes);  // load what was signed, unchecked
    }
    LUCET_TRY(check_module_elf(path, body));

    std::unique_ptr<VerifiedModuleFile> f(new VerifiedModuleFile());
    f->fd_ = memfd_create("lucet-module", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (f->fd_ < 0) return make_error(path + ": cannot create a memfd for the module: " + std::strerror(errno));
    size_t done = 0;
    while (done < body.size()) {
        ssize_t n = write(f->fd_, body.data() + done, body.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return make_error(path + ": cannot copy the module to a memfd: " + std::strerror(errno));
        done += static_cast<size_t>(n);
    }
    // Nobody else holds this fd; the seals keep even a mistake in this
    // process from changing the size under the loader's mappings. (No
    // F_SEAL_WRITE: before Linux 6.7 it also refuses the loader's private
    // writable mappings.)
    fcntl(f->fd_, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
    f->dlopen_path_ = "/proc/self/fd/" + std::to_string(f->fd_);
    if (access(f->dlopen_path_.c_str(), R_OK) != 0)
        return make_error(path + ": cannot load modules without /proc (" + f->dlopen_path_ + ": " +
                          std::strerror(errno) + ")");
    return f;
}

}  // namespace lucet::rt
