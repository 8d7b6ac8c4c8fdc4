// http::HttpError, and the one table from errors to HTTP statuses and
// JSON-RPC error bodies, and the writers of JSON answers.
#pragma once

#include <stdexcept>
#include <string>

#include <Poco/Net/HTTPServerResponse.h>
#include <nlohmann/json.hpp>

#include <mcpkeep/error.h>

namespace mcpkeep::http {

// A request refused before it reached MCP: status, JSON-RPC code, message.
class HttpError : public std::runtime_error {
 public:
  HttpError(int status, int rpc_code, const std::string& message)
      : std::runtime_error(message), status_(status), rpc_code_(rpc_code) {}
  int status() const noexcept { return status_; }
  int rpcCode() const noexcept { return rpc_code_; }

 private:
  int status_;
  int rpc_code_;
};

// JSON-RPC code for transport-level refusals (the SDKs use -32000), and for
// an unknown session (-32001, as the TypeScript SDK).
constexpr int kServerError = -32000;
constexpr int kSessionNotFound = -32001;

// The HttpError for a store error. Internal errors say only "internal error";
// their detail belongs in the log.
HttpError toHttpError(const Error& error);

// Writes `body` as an application/json response with `status`.
void sendJson(Poco::Net::HTTPServerResponse& response, int status, const nlohmann::json& body);

// Writes a JSON-RPC error body (id null) with `status`.
void sendError(Poco::Net::HTTPServerResponse& response, int status, int rpc_code,
               const std::string& message);

}  // namespace mcpkeep::http
