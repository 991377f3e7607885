#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace dlfs {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// write(2) until every byte is out: a write may accept fewer bytes than asked.
void write_all(int fd, const char* data, std::size_t size, const std::string& what) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(what + ": " + std::strerror(errno));
    data += n, size -= std::size_t(n);
  }
}

}  // namespace

void write_file_atomically(const std::string& path, const std::vector<std::string_view>& parts) {
  namespace fs = std::filesystem;
  // A symbolic link is saved through, into the file it names: renaming over the link itself would
  // replace the link with a file and leave its target stale.
  fs::path target(path);
  std::error_code link_error;
  if (fs::is_symlink(target, link_error)) {
    const fs::path resolved = fs::weakly_canonical(target, link_error);
    if (!link_error) target = resolved;
  }
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(dir, ec);  // an error here shows up as mkstemp's, with its reason

  // In the target's directory: rename replaces atomically only within one file system.
  std::string temp = target.string() + ".tmp-XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) fail(path, std::string("cannot save (creating a temporary file in ") + dir.string() + ": " + std::strerror(errno) + ")");
  try {
    ::fchmod(fd, 0644);  // mkstemp makes 0600; a model or a report is an ordinary readable file
    for (const std::string_view part : parts) write_all(fd, part.data(), part.size(), "writing " + temp);
    if (::fsync(fd) != 0) throw std::runtime_error("syncing " + temp + ": " + std::strerror(errno));
  } catch (const std::runtime_error& e) {
    ::close(fd);
    ::unlink(temp.c_str());
    fail(path, std::string("cannot save (") + e.what() + "); the previous file, if any, is unchanged");
  }
  if (::close(fd) != 0 || ::rename(temp.c_str(), target.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temp.c_str());
    fail(path, "cannot save (" + reason + "); the previous file, if any, is unchanged");
  }
  // Make the rename durable: the new directory entry is on disk only once the directory is synced.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace dlfs
