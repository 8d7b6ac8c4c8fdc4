// Gateway::Impl: what a Gateway holds, shared by gateway.cc (the Dispatcher
// methods: messages from clients), links.cc (starting, re-initialising and
// stopping upstreams) and from_upstream.cc (messages from upstreams).
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <Poco/ThreadPool.h>
#include <nlohmann/json.hpp>

#include <mcpkeep/store.h>

#include "gateway/gateway.h"
#include "gateway/upstream.h"
#include "mcp/client_requests.h"
#include "mcp/replica_inbox.h"
#include "mcp/served_file.h"

namespace mcpkeep::gateway {

using nlohmann::json;

// One running upstream and the sessions it serves (one, or all in shared
// mode). Every Link is held by Impl::links until the housekeeper destroys
// it, after it ended and nothing else holds it: so the upstream's own thread,
// which delivers its messages, never drops the last reference.
struct Link {
  // The upstream goes first: its thread may still be delivering a message
  // that reads the members below.
  ~Link() { upstream.reset(); }

  std::unique_ptr<Upstream> upstream;
  std::string stray;  // an answer to an id no request has, for error messages
  std::set<std::string> sessions;
  bool ended = false;  // the upstream ended, or was stopped
  std::string why_ended;  // how, for calls that come after
  std::chrono::steady_clock::time_point last_used = std::chrono::steady_clock::now();
  json initialize_result;  // the upstream's answer to its initialize
  // The upstream speaks protocol 2026-07-28 only: no initialize, each
  // request carries its _meta (modern_upstream.cc).
  bool stateless_upstream = false;
};

// Where an answer the gateway itself waits for (initialize, and the setup
// replayed to a fresh upstream) arrives.
struct Waiter {
  std::mutex mutex;
  std::condition_variable arrived;
  std::optional<json> reply;
  std::string failure;  // the upstream ended first
};

// A request sent upstream, found by the id the gateway gave it.
struct Call {
  std::shared_ptr<Link> link;
  std::string session;  // empty for the gateway's own requests
  StreamId stream = 0;
  json request;         // as the client sent it (its id, its progress token)
  std::shared_ptr<Waiter> waiter;  // the gateway's own requests
  std::chrono::steady_clock::time_point sent = std::chrono::steady_clock::now();
  bool retried = false;
};

// What the gateway knows of a session beyond the store.
struct SessionLink {
  std::shared_ptr<Link> link;               // null or ended: start one at the next request
  std::shared_ptr<std::mutex> starting = std::make_shared<std::mutex>();  // one start at a time
  int failures = 0;                         // starts in a row that failed
  std::chrono::steady_clock::time_point next_start{};  // backoff
  std::map<std::string, bool> retryable_tools;  // from tools/list: readOnlyHint or idempotentHint
};

// An upstream's request to a client, found by (session, the id the gateway gave it).
struct Relayed {
  std::weak_ptr<Link> link;
  json upstream_id;
  int64_t round = 0;  // or an input request of an input_required round (Round)
  std::string key;    // its key there
};

// A 2026-07-28 upstream answered a client's request "input_required": its
// requests go to the client one by one, and once every answer is in, the
// request goes up again with them (and the upstream's requestState).
struct Round {
  std::string session;
  StreamId stream = 0;
  json request;  // as the client sent it
  std::shared_ptr<Link> link;
  std::set<std::string> waiting;  // keys not answered yet
  json answers = json::object();
  json request_state;             // null: none
};

struct Gateway::Impl {
  Impl(Hub& h, GatewayOptions o);

  // ---- links.cc ----

  // The session's running upstream, started (and its session re-initialised
  // from the store) when it has none. Throws UpstreamError when it cannot
  // start, Error(kUnavailable) at max_upstreams.
  std::shared_ptr<Link> linkFor(const std::string& session);
  // Starts an upstream (no initialize yet). Throws like linkFor.
  std::shared_ptr<Link> startLink(const std::string& log_context);
  // Sends `params` as `method` and waits for the answer's result. Throws
  // UpstreamError naming the method for an error answer, a timeout or the
  // upstream's end.
  json ask(const std::shared_ptr<Link>& link, const std::string& method, const json& params);
  // Replays the session's stored initialize, log level and subscriptions to
  // a fresh upstream.
  void reinitialize(const std::string& session, const std::shared_ptr<Link>& link);
  // The upstream ended: its calls are answered (or sent again), its
  // sessions start a fresh one at their next request. `forgotten`: it lives
  // but lost the session (HTTP 404); every call is sent again.
  void onEnded(Link& link, const std::string& why, bool forgotten);
  // Marks the link ended, for `why` (mutex held); false when it already was.
  bool endLink(Link& link, const std::string& why);
  // Ends a link that is not needed (idle, its session deleted, shutdown).
  void retire(Link& link);
  // Whether a call cut by its upstream's end is sent again
  // (--retry-idempotent). Mutex held.
  bool retryable(const Call& call);
  // Notes which tools of a tools/list result may be sent again. Mutex held.
  void rememberTools(SessionLink& session, const json& tools);
  void housekeeping();
  // Sends kept calls of a dead mcpkeep again (--retry-idempotent).
  void resend(const std::vector<std::pair<Stream, std::string>>& kept);

  // ---- gateway.cc ----

  Dispatch initialize(const json& request);
  // Sends a client's request up on `link`; answers it with an error when
  // that fails.
  void forward(const std::string& session, StreamId stream, const json& request,
               const std::shared_ptr<Link>& link, bool retried);
  void answerError(const std::string& session, StreamId stream, const json& id, const std::string& message);

  // ---- stateless_clients.cc ----

  // A 2026-07-28 request, answered through the upstream session mcpkeep
  // keeps for stateless clients.
  Dispatch handleStateless(const json& request);
  // That session: made (initialized upstream) at the first stateless request.
  std::string statelessSession();
  // The upstream's serverInfo, from the session's initialize result.
  json serverInfo(const std::string& session);
  // An upstream's answer to a stateless client's request, in that era's shape.
  json statelessAnswer(const Call& call, json answer);

  // ---- modern_upstream.cc ----

  // The initialize result a 2026-07-28-only upstream would give, from its
  // server/discover, for a client that initialized with `params`.
  json discoverAsInitialize(const std::shared_ptr<Link>& link, const json& params, const std::string& version);
  // The request as a 2026-07-28 upstream wants it: _meta with the version
  // and the session's client capabilities, info and log level.
  json withRequestMeta(const std::string& session, json request);
  // Sends the input requests of an input_required answer to the client;
  // false when the answer is not one.
  bool startRound(const Call& call, const json& answer);
  // A client's answer to an input request of a round; sends the request up
  // again once every answer is in.
  void answerRound(int64_t round, const std::string& key, const json& response);

  // ---- from_upstream.cc ----

  void onMessage(Link& link, const json& message);
  void onResponse(Link& link, const json& message);
  void onRequest(Link& link, const json& message);
  void onNotification(Link& link, const json& message);
  // The session an unsolicited message of `link` belongs to, and the stream
  // to put it on (its newest request's in flight, else the standalone one);
  // nullopt when it cannot be told (shared mode, several sessions busy).
  // Stream 0 stands for the standalone stream. Mutex held.
  std::optional<std::pair<std::string, StreamId>> destination(const Link& link);
  // Publishes (stream 0: the standalone stream), tolerating a session
  // deleted or a stream closed meanwhile.
  void publish(const std::string& session, StreamId stream, const json& message, bool close);
  // A client's response to a relayed request or cancellation of a call,
  // or another notification for the upstream: true when taken here (or
  // passed on), false when no call or request here waits for it.
  bool receive(const std::string& session_id, const json& message);

  Hub& hub;
  Store& store;
  const GatewayOptions options;
  std::unique_ptr<mcp::ServedFile> file;

  mutable std::mutex mutex;
  std::vector<std::shared_ptr<Link>> links;  // every link not yet destroyed
  std::unordered_map<std::string, SessionLink> sessions;
  std::shared_ptr<Link> shared;  // shared mode
  std::shared_ptr<std::mutex> shared_starting = std::make_shared<std::mutex>();
  std::map<int64_t, Call> calls;  // by the id sent upstream
  int64_t next_id = 1;
  std::map<std::pair<std::string, std::string>, Relayed> relayed;
  uint64_t next_relayed = 1;
  GatewayStats stats;
  std::vector<int64_t> latency_counts;  // per bucket of kLatencyBounds, +Inf last
  double latency_sum = 0;
  int64_t latency_count = 0;
  std::string last_start_failure;  // for /healthz
  bool stopping = false;  // shutdown: no new upstreams
  bool closing = false;   // the destructor: the housekeeper ends
  std::condition_variable wake;  // housekeeping
  std::condition_variable calls_changed;
  Poco::ThreadPool request_threads;  // HTTP upstreams' requests in flight
  std::thread housekeeper;
  std::thread resender;  // resend(), once at start
  std::string stateless_session;  // the upstream session of stateless clients; "" until one comes
  std::map<int64_t, Round> rounds;  // input_required rounds in progress
  int64_t next_round = 1;
  std::mutex stateless_starting;  // one start of it at a time
  // Shared database: what clients sent other replicas for calls and
  // requests here. Last: it stops first.
  std::unique_ptr<mcp::ReplicaInbox> inbox;
};

// Whether a stored initialize result is one mcpkeep made for an upstream
// that speaks 2026-07-28 only (discoverAsInitialize marks it).
bool speaksStatelessOnly(const json& initialize_result);
// Whether an upstream's refusal of initialize says it speaks 2026-07-28
// only (the unsupported-version error listing that era's versions).
bool speaksStatelessOnly(const UpstreamRefusal& refusal);

// Requests in flight to HTTP upstreams at once (each holds a thread).
constexpr int kMaxRequestThreads = 4096;

// Upper bounds (seconds) of the upstream request latency histogram.
extern const std::vector<double> kLatencyBounds;

}  // namespace mcpkeep::gateway
