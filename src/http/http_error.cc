#include "http/http_error.h"

#include "mcp/json_rpc.h"

namespace mcpkeep::http {

HttpError toHttpError(const Error& e) {
  if (isTransient(e.code())) return HttpError(503, kServerError, "storage unavailable, retry later");
  switch (e.code()) {
    case ErrorCode::kNotFound:
      return HttpError(404, kSessionNotFound, e.what());
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kInvalidEventId:
      return HttpError(400, mcp::kInvalidRequest, e.what());
    case ErrorCode::kStreamClosed:
      return HttpError(409, kServerError, e.what());
    case ErrorCode::kUnavailable:
      return HttpError(503, kServerError, e.what());
    default:
      return HttpError(500, mcp::kInternalError, "internal error");
  }
}

void sendJson(Poco::Net::HTTPServerResponse& response, int status, const nlohmann::json& body) {
  const std::string text = body.dump();
  response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  response.setContentType("application/json");
  response.setContentLength(static_cast<std::streamsize>(text.size()));
  response.send() << text;
}

void sendError(Poco::Net::HTTPServerResponse& response, int status, int rpc_code,
               const std::string& message) {
  if (status == 401) response.set("WWW-Authenticate", "Bearer");
  sendJson(response, status, mcp::errorMessage(nullptr, rpc_code, message));
}

}  // namespace mcpkeep::http
