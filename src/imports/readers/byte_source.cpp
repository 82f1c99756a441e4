#include "imports/readers/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace relance::imports {
namespace {

class FileSource final : public ByteSource {
 public:
  FileSource(int fd, uint64_t size, std::string path) : fd_(fd), path_(std::move(path)) {
    size_ = size;
  }
  ~FileSource() override { ::close(fd_); }

  Result<size_t> ReadAt(uint64_t offset, void* buf, size_t n) override {
    size_t done = 0;
    while (done < n) {
      ssize_t r =
          ::pread(fd_, static_cast<char*>(buf) + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Unavailable("cannot read the file: " + std::string(std::strerror(errno)));
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    return done;
  }
  const std::string& path() const override { return path_; }

 private:
  int fd_;
  std::string path_;
};

class BufferSource final : public ByteSource {
 public:
  explicit BufferSource(std::string_view data) : data_(data) { size_ = data.size(); }
  Result<size_t> ReadAt(uint64_t offset, void* buf, size_t n) override {
    if (offset >= data_.size()) return size_t{0};
    size_t k = std::min<uint64_t>(n, data_.size() - offset);
    std::memcpy(buf, data_.data() + offset, k);
    return k;
  }
  const std::string_view* memory() const override { return &data_; }
  const std::string& path() const override { return empty_; }

 private:
  std::string_view data_;
  std::string empty_;
};

}  // namespace

Result<std::unique_ptr<ByteSource>> OpenFileSource(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound("file not found: " + path);
    return InvalidArgument("cannot open the file: " + std::string(std::strerror(errno)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgument("not a regular file: " + path);
  }
  return std::unique_ptr<ByteSource>(new FileSource(fd, static_cast<uint64_t>(st.st_size), path));
}

std::unique_ptr<ByteSource> MemorySource(std::string_view data) {
  return std::make_unique<BufferSource>(data);
}

}  // namespace relance::imports
