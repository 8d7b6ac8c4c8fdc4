// MCP protocol versions: the one place that knows which are served and how
// a version is negotiated (see DESIGN.md "Protocol generations").
#pragma once

#include <string>
#include <vector>

namespace mcpkeep::mcp {

// Newest first.
const std::vector<std::string>& supportedProtocolVersions();
const std::string& latestProtocolVersion();

// The version assumed when a request carries no MCP-Protocol-Version header.
const std::string& defaultProtocolVersion();

bool isSupportedProtocolVersion(const std::string& version);

// The client's version when served, else the latest.
std::string negotiateProtocolVersion(const std::string& requested);

// True for versions whose SSE streams start with a priming event (id and
// empty data) and may be closed early for the client to resume (SEP-1699).
bool primesStreams(const std::string& version);

}  // namespace mcpkeep::mcp
