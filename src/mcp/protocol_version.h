// MCP protocol versions: the one place that knows which are served and how
// a version is negotiated (see DESIGN.md "Protocol generations").
#pragma once

#include <string>
#include <vector>

namespace mcpkeep::mcp {

// The session era's versions (an initialize handshake), newest first.
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

// The stateless era's versions (2026-07-28 on): each request carries its
// version, client info and capabilities in _meta; no session, no
// initialize, no GET stream; results carry resultType.
const std::vector<std::string>& statelessProtocolVersions();
bool isStatelessProtocolVersion(const std::string& version);

// Every version served, stateless first: what an unsupported-version error
// lists and server/discover announces.
std::vector<std::string> allProtocolVersions();

}  // namespace mcpkeep::mcp
