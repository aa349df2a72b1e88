// module_file.cpp: VerifiedModuleFile (see elf_check.h): read a module file
// once, verify its signature if one is required, check its ELF structure, and
// give dlopen exactly those bytes through a memfd.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <elf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "runtime/elf_check.h"
#include "util/module_signature.h"

namespace lucet::rt {

namespace {
constexpr uint64_t kMaxModuleBytes = uint64_t(4) << 30;
}

VerifiedModuleFile::~VerifiedModuleFile() {
    if (fd_ >= 0) close(fd_);
    if (image_fd_ >= 0) close(image_fd_);
}

namespace {

// A file nobody but root may write: owned by the current user or root, and
// no write permission bit at all (a deliberate `chmod a-w`; stricter than the
// compile cache's rule, which allows the owner's write bit).
bool nobody_writes(const struct stat &st) {
    return S_ISREG(st.st_mode) && (st.st_uid == geteuid() || st.st_uid == 0) &&
           (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0;
}

// Copies [from, to) of `fd` to the same offsets of the memfd `mfd` in the
// kernel (no read into and write out of this process).
Status copy_range(const std::string &path, int fd, int mfd, uint64_t from, uint64_t to) {
    if (lseek(mfd, static_cast<off_t>(from), SEEK_SET) < 0)
        return make_error(path + ": cannot seek in the module's memfd: " + std::strerror(errno));
    off_t in = static_cast<off_t>(from);
    while (static_cast<uint64_t>(in) < to) {
        ssize_t n = sendfile(mfd, fd, &in, to - static_cast<uint64_t>(in));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(path + ": cannot copy the module to a memfd: " + std::strerror(errno));
        if (n == 0) return make_error(path + ": the file changed while it was read", ErrorKind::Module);
    }
    return {};
}

// Copies the regular file `fd` (`path`) into the memfd `mfd`, all but the
// pages of `image` (left as a hole of zeros), and returns its size.
Result<uint64_t> copy_to_memfd(const std::string &path, int fd, const struct stat &st, ImageRange image, int mfd) {
    uint64_t size = static_cast<uint64_t>(st.st_size);
    if (ftruncate(mfd, static_cast<off_t>(size)) != 0)
        return make_error(path + ": cannot size a memfd for the module: " + std::strerror(errno));
    if (image.hi > image.lo) {
        LUCET_TRY(copy_range(path, fd, mfd, 0, image.lo));
        LUCET_TRY(copy_range(path, fd, mfd, image.hi, size));
    } else {
        LUCET_TRY(copy_range(path, fd, mfd, 0, size));
    }
    // Grew while copied: the file is changing under us.
    char extra;
    ssize_t n;
    while ((n = pread(fd, &extra, 1, static_cast<off_t>(size))) < 0 && errno == EINTR) {}
    if (n > 0) return make_error(path + ": the file changed while it was read", ErrorKind::Module);
    return size;
}

}  // namespace

Result<std::unique_ptr<VerifiedModuleFile>> VerifiedModuleFile::open(
    const std::string &path, const std::optional<std::array<uint8_t, 32>> &public_key) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error("cannot load module " + path + ": cannot open: " + std::strerror(errno), ErrorKind::Module);
    return open(UniqueFd(fd), path, public_key);
}

Result<std::unique_ptr<VerifiedModuleFile>> VerifiedModuleFile::open(
    UniqueFd file, const std::string &path, const std::optional<std::array<uint8_t, 32>> &public_key) {
    std::unique_ptr<VerifiedModuleFile> f(new VerifiedModuleFile());
    const int fd = file.get();
    f->image_fd_ = file.release();  // closed by the destructor; dropped below unless the image is mapped from it
    f->fd_ = memfd_create("lucet-module", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (f->fd_ < 0) return make_error(path + ": cannot create a memfd for the module: " + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0)
        return make_error("cannot load module " + path + ": cannot stat: " + std::strerror(errno), ErrorKind::Module);
    if (!S_ISREG(st.st_mode)) return make_error("cannot load module " + path + ": not a regular file", ErrorKind::Module);
    if (static_cast<uint64_t>(st.st_size) > kMaxModuleBytes)
        return make_error("cannot load module " + path + ": " + std::to_string(st.st_size) +
                              " bytes, more than the limit of " + std::to_string(kMaxModuleBytes),
                          ErrorKind::Module);
    // The data image is left out of the copy only for a file nobody can
    // change under the mapping, and never for a signed module (whose
    // every byte is hashed: what runs must be what was verified).
    ImageRange image;
    if (!public_key && nobody_writes(st))
        image = find_image_section(
            [&](void *buf, size_t len, uint64_t off) {
                return pread(fd, buf, len, static_cast<off_t>(off)) == static_cast<ssize_t>(len);
            },
            static_cast<uint64_t>(st.st_size));
    auto size = copy_to_memfd(path, fd, st, image, f->fd_);
    if (!size) return size.error();
    // The checks read the memfd's bytes (only this process holds it), so
    // what was checked and verified is what dlopen maps.
    void *map = *size ? mmap(nullptr, *size, PROT_READ, MAP_SHARED, f->fd_, 0) : nullptr;
    if (map == MAP_FAILED) return make_error(path + ": cannot map the module's memfd: " + std::strerror(errno));
    struct Unmapper {
        void *p;
        uint64_t n;
        ~Unmapper() {
            if (p) munmap(p, n);
        }
    } unmapper{map, *size};
    std::span<const uint8_t> body(static_cast<const uint8_t *>(map), *size);
    if (image.hi > image.lo) {
        ImageRange again = find_image_section(
            [&](void *buf, size_t len, uint64_t off) {
                if (off > body.size() || len > body.size() - off) return false;
                std::memcpy(buf, body.data() + off, len);
                return true;
            },
            body.size());
        if (again.lo != image.lo || again.hi != image.hi)
            return make_error(path + ": the file changed while it was read", ErrorKind::Module);
        f->image_ = image;
    } else {
        close(f->image_fd_);
        f->image_fd_ = -1;
    }
    if (public_key) {
        auto len = sig::verify(path, body, *public_key);
        if (!len) return len.error();
        body = body.first(*len);
    } else if (sig::has_trailer(body)) {
        body = body.first(body.size() - sig::kTrailerBytes);  // load what was signed, unchecked
    }
    LUCET_TRY(check_module_elf(path, body));
    if (body.size() < *size && ftruncate(f->fd_, static_cast<off_t>(body.size())) != 0)
        return make_error(path + ": cannot drop the signature from the module's memfd: " + std::strerror(errno));
    // Sealed before dlopen: no write(2) and no new shared writable mapping
    // of the memfd, even by another process of this user that reopens it
    // through /proc/PID/fd/N (which would otherwise change the code every
    // instance runs, since the loader's private mappings share the memfd's
    // pages until written). F_SEAL_FUTURE_WRITE rather than F_SEAL_WRITE:
    // before Linux 6.7 the latter also refuses the loader's private
    // writable mappings (.data); F_SEAL_FUTURE_WRITE exists since 5.1.
    if (fcntl(f->fd_, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) != 0)
        return make_error(path + ": cannot seal the module's memfd: " + std::strerror(errno));
    f->dlopen_path_ = "/proc/self/fd/" + std::to_string(f->fd_);
    if (access(f->dlopen_path_.c_str(), R_OK) != 0)
        return make_error(path + ": cannot load modules without /proc (" + f->dlopen_path_ + ": " +
                          std::strerror(errno) + ")");
    return f;
}

}  // namespace lucet::rt
