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
    default:
      return HttpError(500, mcp::kInternalError, "internal error");
  }
}

}  // namespace mcpkeep::http
