#include "cli/sync_setup.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sync/connectors/sellsy/sellsy_connector.h"

namespace relance::cli {
namespace {

std::string Trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

}  // namespace

const sync::ConnectorRegistry& KnownConnectors() {
  static const sync::ConnectorRegistry registry = [] {
    sync::ConnectorRegistry r;
    r.Add(sync::sellsy::SellsyConnectorType());
    return r;
  }();
  return registry;
}

Result<sync::SecretBox> LoadSecretBox(const Settings& s) {
  if (!s.secret_key.empty()) {
    auto box = sync::SecretBox::FromHex(s.secret_key);
    if (!box.ok()) return InvalidArgument("secret_key: " + box.error().message());
    return box;
  }
  const std::filesystem::path path = std::filesystem::path(s.data_dir) / "secret.key";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return Unavailable("cannot create the data folder " + path.parent_path().string() + ": " +
                         ec.message());
    }
    std::string key = sync::SecretBox::GenerateKeyHex() + "\n";
    // O_EXCL: two processes starting at once never write two keys.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
      bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size());
      ok = ::fsync(fd) == 0 && ok;
      ::close(fd);
      if (!ok) return Unavailable("cannot write the secret key file " + path.string());
      spdlog::info(
          "sync: created the secret key file {} (mode 0600); keep it with the database: "
          "the connections' secrets cannot be read without it",
          path.string());
    } else if (errno != EEXIST) {
      return Unavailable("cannot create the secret key file " + path.string() + ": " +
                         std::strerror(errno));
    }
  }
  std::ifstream in(path);
  if (!in) return Unavailable("cannot read the secret key file " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  auto box = sync::SecretBox::FromHex(Trimmed(text.str()));
  if (!box.ok()) {
    return InvalidArgument("the secret key file " + path.string() + ": " + box.error().message());
  }
  spdlog::debug("sync: secret key from {}", path.string());
  return box;
}

}  // namespace relance::cli
