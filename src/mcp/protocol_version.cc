#include "mcp/protocol_version.h"

#include <algorithm>

namespace mcpkeep::mcp {

const std::vector<std::string>& supportedProtocolVersions() {
  static const std::vector<std::string> versions = {"2025-11-25", "2025-06-18", "2025-03-26"};
  return versions;
}

const std::string& latestProtocolVersion() { return supportedProtocolVersions().front(); }

const std::string& defaultProtocolVersion() { return supportedProtocolVersions().back(); }

bool isSupportedProtocolVersion(const std::string& version) {
  const auto& all = supportedProtocolVersions();
  return std::find(all.begin(), all.end(), version) != all.end();
}

std::string negotiateProtocolVersion(const std::string& requested) {
  return isSupportedProtocolVersion(requested) ? requested : latestProtocolVersion();
}

bool primesStreams(const std::string& version) { return version >= "2025-11-25"; }

const std::vector<std::string>& statelessProtocolVersions() {
  static const std::vector<std::string> versions = {"2026-07-28"};
  return versions;
}

bool isStatelessProtocolVersion(const std::string& version) {
  const auto& all = statelessProtocolVersions();
  return std::find(all.begin(), all.end(), version) != all.end();
}

std::vector<std::string> allProtocolVersions() {
  std::vector<std::string> all = statelessProtocolVersions();
  all.insert(all.end(), supportedProtocolVersions().begin(), supportedProtocolVersions().end());
  return all;
}

}  // namespace mcpkeep::mcp
