#include "http/request_guards.h"

#include <algorithm>
#include <cctype>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "http/framing.h"
#include "http/http_error.h"
#include "mcp/json_rpc.h"
#include "mcp/protocol_version.h"

namespace mcpkeep::http {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return std::string();
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

bool isLoopbackHostName(const std::string& host) {
  const std::string h = lower(host);
  return h == "localhost" || h == "127.0.0.1" || h == "[::1]" || h == "::1";
}

// "host" of "host:port" or "[::1]:port".
std::string hostOf(const std::string& host_header) {
  if (!host_header.empty() && host_header[0] == '[') {
    const auto close = host_header.find(']');
    return close == std::string::npos ? host_header : host_header.substr(0, close + 1);
  }
  return host_header.substr(0, host_header.find(':'));
}

}  // namespace

void checkHeaderSize(const Poco::Net::HTTPRequest& request, const GuardOptions& options) {
  std::size_t size = 0;
  for (const auto& [name, value] : request) size += name.size() + value.size();
  if (size > options.max_header_bytes) {
    throw HttpError(431, kServerError,
                    "the request headers are larger than " + std::to_string(options.max_header_bytes) +
                        " bytes");
  }
}

std::string checkHostAndOrigin(const Poco::Net::HTTPRequest& request, const GuardOptions& options) {
  if (options.loopback_only) {
    // (HTTPRequest::getHost() throws when the header is missing.)
    if (!request.has("Host")) throw HttpError(400, kServerError, "the Host header is required");
    const std::string& host = request.get("Host");
    if (!isLoopbackHostName(hostOf(host))) {
      throw HttpError(403, kServerError,
                      "Host '" + host + "' is not allowed: this server is bound to loopback "
                      "(DNS rebinding protection)");
    }
  }
  if (!request.has("Origin")) return std::string();
  const std::string origin = request.get("Origin");
  if (std::find(options.allowed_origins.begin(), options.allowed_origins.end(), origin) !=
      options.allowed_origins.end()) {
    return origin;
  }
  try {
    const Poco::URI uri(origin);
    const std::string scheme = lower(uri.getScheme());
    std::string host = uri.getHost();
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    if (options.loopback_only && (scheme == "http" || scheme == "https") &&
        isLoopbackHostName(host)) {
      return origin;
    }
  } catch (const Poco::Exception&) {
    // A malformed Origin is not allowed.
  }
  throw HttpError(403, kServerError, "Origin '" + origin + "' is not allowed");
}

bool constantTimeEquals(const std::string& a, const std::string& b) {
  const std::size_t n = std::max(a.size(), b.size());
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    difference |= static_cast<unsigned char>(x ^ y);
  }
  return difference == 0;
}

void checkAuth(const Poco::Net::HTTPRequest& request, const GuardOptions& options) {
  if (options.auth_token.empty()) return;
  const std::string header = request.get("Authorization", "");
  const std::string prefix = "Bearer ";
  const bool ok = header.size() > prefix.size() && lower(header.substr(0, prefix.size())) == "bearer " &&
                  constantTimeEquals(header.substr(prefix.size()), options.auth_token);
  if (!ok) throw HttpError(401, kServerError, "missing or wrong bearer token");
}

void checkAccept(const Poco::Net::HTTPRequest& request, const std::vector<std::string>& types) {
  std::vector<std::string> accepted;
  const std::string header = request.get("Accept", "");
  std::size_t start = 0;
  while (start <= header.size()) {
    const auto comma = header.find(',', start);
    const std::string item = header.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    accepted.push_back(lower(trim(item.substr(0, item.find(';')))));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  for (const std::string& type : types) {
    const std::string any_subtype = type.substr(0, type.find('/')) + "/*";
    const bool ok = std::any_of(accepted.begin(), accepted.end(), [&](const std::string& a) {
      return a == type || a == any_subtype || a == "*/*";
    });
    if (!ok) {
      std::string wanted;
      for (const auto& t : types) wanted += (wanted.empty() ? "" : " and ") + t;
      throw HttpError(406, kServerError, "the Accept header must allow " + wanted);
    }
  }
}

void checkJsonContentType(const Poco::Net::HTTPRequest& request) {
  const std::string type = lower(trim(request.getContentType().substr(0, request.getContentType().find(';'))));
  if (type != "application/json") {
    throw HttpError(415, kServerError, "Content-Type must be application/json");
  }
}

std::string readBody(Poco::Net::HTTPServerRequest& request, const GuardOptions& options) {
  // Without Content-Length or Transfer-Encoding there is no body (RFC 9112
  // 6.3); Poco's stream would read on into the next request.
  if (!hasBody(request)) return std::string();
  // What is left unread when this refuses is dropped or the connection
  // closed by the framing rule (framing.h).
  const HttpError too_large(413, kServerError,
                            "the body is larger than " + std::to_string(options.max_body_bytes) + " bytes");
  if (request.hasContentLength() &&
      request.getContentLength64() > static_cast<Poco::Int64>(options.max_body_bytes)) {
    throw too_large;
  }
  std::istream& in = request.stream();
  std::string body;
  char buffer[8192];
  try {
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
      body.append(buffer, static_cast<std::size_t>(in.gcount()));
      if (body.size() > options.max_body_bytes) throw too_large;
    }
  } catch (const Poco::Exception& e) {
    // Broken chunked framing and the like.
    throw HttpError(400, kServerError, "malformed request body: " + e.displayText());
  }
  return body;
}

std::string requireSessionId(const Poco::Net::HTTPRequest& request) {
  if (!request.has("Mcp-Session-Id")) {
    throw HttpError(400, kServerError, "Mcp-Session-Id header required (send initialize first)");
  }
  const std::string id = request.get("Mcp-Session-Id");
  const bool visible_ascii = !id.empty() && id.size() <= 128 &&
                             std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (!visible_ascii) throw HttpError(400, kServerError, "malformed Mcp-Session-Id header");
  return id;
}

std::string checkProtocolVersion(const Poco::Net::HTTPRequest& request) {
  if (!request.has("MCP-Protocol-Version")) return mcp::defaultProtocolVersion();
  const std::string version = request.get("MCP-Protocol-Version");
  if (!mcp::isSupportedProtocolVersion(version)) {
    std::string supported;
    for (const auto& v : mcp::supportedProtocolVersions()) supported += (supported.empty() ? "" : ", ") + v;
    throw HttpError(400, kServerError,
                    "unsupported MCP-Protocol-Version (supported: " + supported + ")");
  }
  return version;
}

}  // namespace mcpkeep::http
