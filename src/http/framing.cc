#include "http/framing.h"

#include <array>
#include <limits>

#include <Poco/Exception.h>
#include <Poco/String.h>

namespace mcpkeep::http {
namespace {

// Headers a request may carry once: who it is from and what it belongs to.
constexpr std::array<const char*, 6> kSingleHeaders = {
    "Host", "Origin", "Authorization", "Mcp-Session-Id", "MCP-Protocol-Version", "Last-Event-ID"};

bool isDigits(const std::string& s) {
  return !s.empty() && s.size() <= 18 && s.find_first_not_of("0123456789") == std::string::npos;
}

// The Content-Length, if every value the request gives (headers and
// comma-separated list items) is the same number; a problem otherwise.
std::optional<std::string> contentLengthProblem(const Poco::Net::HTTPRequest& request, Poco::Int64& length) {
  std::optional<std::string> value;
  for (const auto& [name, field] : request) {
    if (Poco::icompare(name, "Content-Length") != 0) continue;
    std::size_t start = 0;
    for (;;) {
      const auto comma = field.find(',', start);
      const std::string item =
          Poco::trim(field.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (!isDigits(item)) return "Content-Length '" + field + "' is not a number";
      if (value && *value != item) return "conflicting Content-Length headers";
      value = item;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  length = value ? std::stoll(*value) : -1;
  return std::nullopt;
}

std::size_t count(const Poco::Net::HTTPRequest& request, const std::string& header) {
  std::size_t n = 0;
  for (const auto& field : request) n += Poco::icompare(field.first, header) == 0 ? 1 : 0;
  return n;
}

}  // namespace

bool hasBody(const Poco::Net::HTTPRequest& request) {
  return request.has("Content-Length") || request.has("Transfer-Encoding");
}

Framing::Framing(const Poco::Net::HTTPRequest& request, Poco::Int64 drain_limit) {
  for (const char* header : kSingleHeaders) {
    if (count(request, header) > 1) {
      problem_ = std::string("repeated ") + header + " header";
      return;
    }
  }
  Poco::Int64 length = -1;
  if ((problem_ = contentLengthProblem(request, length))) return;
  const std::size_t codings = count(request, "Transfer-Encoding");
  if (codings > 0) {
    if (length >= 0) {
      problem_ = "Content-Length together with Transfer-Encoding";
    } else if (codings > 1 || Poco::icompare(Poco::trim(request.get("Transfer-Encoding")), "chunked") != 0) {
      problem_ = "Transfer-Encoding '" + request.get("Transfer-Encoding") + "' is not supported (only chunked)";
    }
    body_ = Body::kClose;  // chunked: its length is unknown until it ends
    return;
  }
  if (length > drain_limit) {
    body_ = Body::kClose;
  } else if (length > 0) {
    body_ = Body::kDrain;
  }
}

void Framing::prepare(Poco::Net::HTTPServerResponse& response) const {
  if (problem_ || body_ == Body::kClose) response.setKeepAlive(false);
}

void Framing::finish(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) const {
  if (body_ != Body::kDrain) return;
  std::istream& in = request.stream();
  try {
    in.ignore(std::numeric_limits<std::streamsize>::max());
  } catch (const Poco::Exception&) {
    // Below: the connection cannot be read on.
  }
  // A fixed-length body read to its end leaves the stream at eof and not bad.
  if (in.bad() || !in.eof()) response.setKeepAlive(false);
}

}  // namespace mcpkeep::http
