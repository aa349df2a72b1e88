// elf_check.h: the check of a module file before dlopen, and the loading
// path around it (read once, verify, hand the verified bytes to dlopen).
//
// dlopen runs code before it returns: ELF initialisers (DT_INIT,
// DT_INIT_ARRAY, DT_PREINIT_ARRAY), IFUNC resolvers, and whatever the
// libraries named by DT_NEEDED run themselves; it also writes wherever the
// relocations say. So a module file is parsed here first, with every read
// bounds checked, and refused unless it looks like what lucetc links: an
// ELF64 x86-64 shared object with no initialisers or finalisers, no needed
// libraries, no undefined symbols, only plain relocations into writable
// segments, a non-executable stack and `lucet_module` as its only export.
// This is defence in depth, not a sandbox: the module's functions are
// native code that runs when called (see README, "Trust model").
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "util/elf_image.h"
#include "util/result.h"
#include "util/unique_fd.h"

namespace lucet::rt {

// Checks the whole file `bytes`; `name` is the file name used in messages:
// "NAME: refusing to load: DT_INIT_ARRAY present (constructors would run at dlopen)".
Status check_module_elf(const std::string &name, std::span<const uint8_t> bytes);

// A module file read once and checked, in a memfd that dlopen opens by its
// /proc/self/fd path: the bytes that were checked (and whose signature was
// verified) are the bytes that get mapped, whatever happens to the file.
using lucet::ImageRange;  // util/elf_image.h

class VerifiedModuleFile {
public:
    VerifiedModuleFile(const VerifiedModuleFile &) = delete;
    VerifiedModuleFile &operator=(const VerifiedModuleFile &) = delete;
    ~VerifiedModuleFile();
    // Reads `path`, verifies its signature when `public_key` is given (an
    // Ed25519 key; the module must then carry a valid signature by it), checks
    // it with check_module_elf and copies the checked bytes to a memfd.
    static Result<std::unique_ptr<VerifiedModuleFile>> open(const std::string &path,
                                                            const std::optional<std::array<uint8_t, 32>> &public_key);
    // The same for the file already open as `file` (`path` names it in
    // messages only): what is checked is that file, whatever its path names
    // now (the compile cache hands over the entry it verified).
    static Result<std::unique_ptr<VerifiedModuleFile>> open(UniqueFd file, const std::string &path,
                                                            const std::optional<std::array<uint8_t, 32>> &public_key);
    // "/proc/self/fd/N", valid while this object lives.
    const std::string &dlopen_path() const { return dlopen_path_; }
    // For a file nobody but root may write (owned by this user or root, no
    // write bit) and not signature-checked: the pages of its data image were
    // left out of the memfd (zeros there) and are to be mapped from
    // image_fd(), the original file, after dlopen (DlModule::load). -1: the
    // memfd holds everything.
    int image_fd() const { return image_fd_; }
    ImageRange image() const { return image_; }

private:
    VerifiedModuleFile() = default;
    int fd_ = -1;
    int image_fd_ = -1;
    ImageRange image_;
    std::string dlopen_path_;
};

}  // namespace lucet::rt
