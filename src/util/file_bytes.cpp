// file_bytes.cpp: see file_bytes.h.
#include "util/file_bytes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lucet {

Result<std::vector<uint8_t>> read_file_bytes(const std::string &path, uint64_t max_size) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(path + ": cannot open: " + std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { close(fd); }
    } closer{fd};
    struct stat st;
    if (fstat(fd, &st) != 0) return make_error(path + ": cannot stat: " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return make_error(path + ": not a regular file");
    if (static_cast<uint64_t>(st.st_size) > max_size)
        return make_error(path + ": " + std::to_string(st.st_size) + " bytes, more than the limit of " +
                          std::to_string(max_size));
    std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = read(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(path + ": read error: " + std::strerror(errno));
        if (n == 0) break;  // shrank while reading: keep what is there
        done += static_cast<size_t>(n);
    }
    bytes.resize(done);
    // Grew while reading: the file is changing under us.
    char extra;
    ssize_t n;
    while ((n = read(fd, &extra, 1)) < 0 && errno == EINTR) {}
    if (n > 0) return make_error(path + ": the file changed while it was read");
    return bytes;
}

int write_all(int fd, const void *data, size_t len) {
    const char *p = static_cast<const char *>(data);
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n < 0 ? errno : EIO;
        done += static_cast<size_t>(n);
    }
    return 0;
}

}  // namespace lucet
