// http::Endpoint: the MCP endpoint's request handler: POST, GET, DELETE.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>

#include <Poco/Net/HTTPRequestHandler.h>

#include <mcpkeep/dispatcher.h>

#include "http/metrics.h"
#include "http/request_guards.h"
#include "http/sse_relay.h"
#include "http/stream_slots.h"

namespace mcpkeep::http {

class ParkedStreams;

struct EndpointOptions {
  GuardOptions guards;
  std::chrono::milliseconds keep_alive_interval;
  std::chrono::milliseconds retry;
  std::chrono::milliseconds close_streams_after;  // 0: never
  bool json_responses;
  bool stateless;  // serve 2026-07-28 requests (when the answerer does)
  bool sessions;   // serve the session era
  int64_t max_sessions;
  StreamSlots* stream_slots;  // open responses per session
  Metrics* metrics;
  ParkedStreams* parking;     // where GET streams wait; null: on their thread
};

// How an SSE response begins.
struct StreamStart {
  std::string priming_id;      // sent first with empty data, when not empty
  std::string new_session_id;  // the Mcp-Session-Id header of an initialize
  bool resumed = false;        // the client sent Last-Event-ID
};

// Made per request by the server's factory; shares the answerer.
class Endpoint : public Poco::Net::HTTPRequestHandler {
 public:
  Endpoint(Dispatcher& answerer, const EndpointOptions& options) : answerer_(answerer), options_(options) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override;

 private:
  void post(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
  void get(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
  void remove(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

  // ---- stateless_post.cc ----

  // Whether a POST speaks the stateless era (2026-07-28): no session, and
  // _meta naming a version, or that era's MCP-Protocol-Version, or
  // server/discover.
  static bool isStateless(const Poco::Net::HTTPServerRequest& request, const nlohmann::json& message);
  void postStateless(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                     const nlohmann::json& message);

  void postBatch(const nlohmann::json& batch, const Session& session,
                 Poco::Net::HTTPServerResponse& response);
  // Answers the request whose stream is `stream`: as SSE, or as JSON in
  // JSON response mode.
  void answer(Poco::Net::HTTPServerResponse& response, const Session& session, StreamId stream,
              const std::string& new_session_id);

  // A session-era message to a server that serves 2026-07-28 only: the
  // unsupported-version error, with the message's id.
  struct StatelessRefusal {
    nlohmann::json message;
  };
  [[noreturn]] static void refuseSessionEra(const nlohmann::json& message);

  // Whether 2026-07-28 requests are served here.
  bool servesStateless() const { return options_.stateless && answerer_.servesStateless(); }

  // 405 for a GET or DELETE with no session, from an answerer that serves
  // the stateless era.
  void refuseWithoutSession(const Poco::Net::HTTPServerRequest& request,
                            Poco::Net::HTTPServerResponse& response);

  // The session named by the request's header, touched; 400/404 otherwise.
  Session requireSession(const Poco::Net::HTTPServerRequest& request);

  // ---- stream_response.cc ----

  // Writes `subscription` as an SSE response until the stream ends or lets
  // go of the client. Given `park_with` (the response's stream slot) and a
  // ParkedStreams, the response is handed to its event loop instead, and
  // this returns at once.
  void serveStream(Poco::Net::HTTPServerResponse& response, Subscription& subscription,
                   const StreamStart& start, std::optional<StreamSlots::Slot> park_with = std::nullopt);

  // Writes what the subscription delivers to `out` through `sse` until the
  // stream ends (true) or the client goes, the server shuts down, or the
  // relay lets go of the client (false).
  bool relay(std::ostream& out, Subscription& subscription, SseRelay& sse);

  RelaySettings relaySettings() const;

  // JSON response mode: waits for the stream to end; returns its response
  // message, if it has one (a cancelled request has none).
  std::optional<nlohmann::json> awaitResponse(Subscription& subscription);

  Dispatcher& answerer_;
  const EndpointOptions& options_;
  bool resumed_ = false;  // this request resumes a stream (Last-Event-ID)
};

}  // namespace mcpkeep::http
