#include "http/framing.h"

#include <array>
#include <limits>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

namespace mcpkeep::http {
namespace {

// Headers a request may carry once: who it is from and what it belongs to.
constexpr std::array<const char*, 6> kSingleHeaders = {
    "Host", "Origin", "Authorization", "Mcp-Session-Id", "MCP-Protocol-Version", "Last-Event-ID"};

bool isDigits(const std::string& s) {
  return !s.empty() && s.size() <= 18 && s.find_first_not_of("0123456789") == std::string::npos;
}

// What the headers say about framing and identity, in one pass.
struct HeaderCounts {
  std::array<int, kSingleHeaders.size()> single{};
  std::vector<std::string> lengths;  // Content-Length values, list items split
  int codings = 0;                   // Transfer-Encoding headers

  explicit HeaderCounts(const Poco::Net::HTTPRequest& request) {
    for (const auto& [name, value] : request) {
      if (Poco::icompare(name, "Content-Length") == 0) {
        Poco::StringTokenizer items(value, ",", Poco::StringTokenizer::TOK_TRIM);
        lengths.insert(lengths.end(), items.begin(), items.end());
        if (items.count() == 0) lengths.emplace_back();
      } else if (Poco::icompare(name, "Transfer-Encoding") == 0) {
        ++codings;
      } else {
        for (std::size_t i = 0; i < kSingleHeaders.size(); ++i) {
          if (Poco::icompare(name, kSingleHeaders[i]) == 0) ++single[i];
        }
      }
    }
  }
};

}  // namespace

bool hasBody(const Poco::Net::HTTPRequest& request) {
  return request.has("Content-Length") || request.has("Transfer-Encoding");
}

Framing::Framing(const Poco::Net::HTTPRequest& request, Poco::Int64 drain_limit) {
  const HeaderCounts headers(request);
  for (std::size_t i = 0; i < kSingleHeaders.size(); ++i) {
    if (headers.single[i] > 1) {
      problem_ = std::string("repeated ") + kSingleHeaders[i] + " header";
      return;
    }
  }
  for (const std::string& length : headers.lengths) {
    if (!isDigits(length)) {
      problem_ = "Content-Length '" + length + "' is not a number";
      return;
    }
    if (length != headers.lengths[0]) {
      problem_ = "conflicting Content-Length headers";
      return;
    }
  }
  if (headers.codings > 0) {
    if (!headers.lengths.empty()) {
      problem_ = "Content-Length together with Transfer-Encoding";
    } else if (headers.codings > 1 || Poco::icompare(Poco::trim(request.get("Transfer-Encoding")), "chunked") != 0) {
      problem_ = "Transfer-Encoding '" + request.get("Transfer-Encoding") + "' is not supported (only chunked)";
    }
    body_ = Body::kClose;  // chunked: its length is unknown until it ends
    return;
  }
  const Poco::Int64 length = headers.lengths.empty() ? 0 : std::stoll(headers.lengths[0]);
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
