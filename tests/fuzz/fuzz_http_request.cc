// libFuzzer target: a request's header section, parsed by Poco, then every
// check the endpoint makes before MCP sees it (size, Host, Origin, bearer
// token, Accept, Content-Type, session id, protocol version, Last-Event-ID).
// Each must accept or throw HttpError; an accepted session id is visible
// ASCII of at most 128 characters.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>

#include <mcpkeep/error.h>
#include <mcpkeep/event_id.h>

#include "http/http_error.h"
#include "http/request_guards.h"

using mcpkeep::http::GuardOptions;
using mcpkeep::http::HttpError;

namespace {

template <typename F>
void guard(F check) {
  try {
    check();
  } catch (const HttpError& e) {
    if (e.status() < 400 || e.status() > 499) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  Poco::Net::HTTPRequest request;
  try {
    request.read(in);
  } catch (const Poco::Exception&) {
    return 0;  // Poco answers 400 itself
  }
  for (bool loopback : {true, false}) {
    const GuardOptions options{loopback, {"https://app.example.com"}, "token", 1 << 20, 16 << 10};
    guard([&] { mcpkeep::http::checkHeaderSize(request, options); });
    guard([&] { mcpkeep::http::checkHostAndOrigin(request, options); });
    guard([&] { mcpkeep::http::checkAuth(request, options); });
  }
  guard([&] { mcpkeep::http::checkAccept(request, {"application/json", "text/event-stream"}); });
  guard([&] { mcpkeep::http::checkJsonContentType(request); });
  guard([&] { mcpkeep::http::checkProtocolVersion(request); });
  guard([&] {
    const std::string id = mcpkeep::http::requireSessionId(request);
    if (id.empty() || id.size() > 128) __builtin_trap();
    for (char c : id) {
      if (c <= 0x20 || c >= 0x7f) __builtin_trap();
    }
  });
  try {
    mcpkeep::EventId::require(request.get("Last-Event-ID", ""));
  } catch (const mcpkeep::Error& e) {
    if (e.code() != mcpkeep::ErrorCode::kInvalidEventId) __builtin_trap();
  }
  return 0;
}
