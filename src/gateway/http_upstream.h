// gateway::HttpUpstream: an upstream MCP server reached over Streamable HTTP
// (protocol 2025-03-26 to 2025-11-25), stateful (it gives an
// Mcp-Session-Id) or stateless (it gives none, as the v2 TypeScript SDK's
// handlers do by default). Each request is POSTed from a thread of its own
// and its answer (JSON, or an SSE stream with progress and requests first)
// delivered message by message; a stateful upstream's GET stream carries
// its unsolicited messages. Connections are kept alive and reused.
//
// Failures: a connection that cannot be made ends the upstream (its calls
// are answered naming the URL and the reason); a 404 to the session id (or
// a 400 that names the session, as servers on the 1.x SDK's examples
// answer) is `lost`: the upstream forgot the session; another HTTP error
// answers that request with a JSON-RPC error naming the status.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <Poco/URI.h>

#include "gateway/upstream.h"

namespace Poco {
class ThreadPool;
}
namespace Poco::Net {
class HTTPClientSession;
class HTTPRequest;
}

namespace mcpkeep::gateway {

struct HttpTarget {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every request
};

class HttpUpstream : public Upstream {
 public:
  // Requests run on `threads` (shared by upstreams; it must outlive this).
  // Throws UpstreamError for a URL it cannot use.
  HttpUpstream(const HttpTarget& target, Receiver receiver, std::string log_context, Poco::ThreadPool& threads);
  // Ends the GET stream and the requests in flight; the Receiver is not
  // called after it returns.
  ~HttpUpstream() override;

  void send(const nlohmann::json& message) override;
  const std::string& name() const override { return target_.url; }
  std::string recentOutput() override;
  std::string sessionId() const override;
  bool resume(const std::string& session_id, const std::string& protocol_version) override;
  void endSession() override;

 private:
  using Session = std::unique_ptr<Poco::Net::HTTPClientSession>;

  // POSTs `message`; delivers what comes back. Runs on a thread of its own
  // for a request.
  void post(const nlohmann::json& message);
  // One attempt of post(); false when a kept-alive connection turned out to
  // be closed before any answer came (the upstream closed it while idle):
  // then nothing was done with the message, and a new connection may try.
  bool postOnce(const nlohmann::json& message, bool allow_retry);
  // Whether an error answer says the upstream does not know our session.
  bool forgotSession(int status, const std::string& body) const;
  void listen();  // the GET stream, while the upstream session lives
  void startListening();
  // With `reused`: a kept-alive connection when there is one (*reused
  // says), else a new one. Without: a new one.
  Session take(bool* reused = nullptr);
  void giveBack(Session session);
  // Headers every request carries: the target's, the session's.
  void addHeaders(Poco::Net::HTTPRequest& request, const nlohmann::json& message);
  void end(const std::string& why);
  // Runs `task` on a pooled thread, counted so the destructor waits; false
  // when every thread is busy.
  bool spawn(std::function<void()> task);

  const HttpTarget target_;
  const Poco::URI uri_;
  Receiver receiver_;
  Poco::ThreadPool& threads_pool_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string session_id_;
  std::string protocol_version_;
  std::string last_error_;
  std::vector<Session> idle_;                          // connections to reuse
  std::set<Poco::Net::HTTPClientSession*> in_use_;     // aborted by the destructor
  int threads_ = 0;
  bool listening_ = false;
  bool ended_ = false;
  bool stopping_ = false;
};

}  // namespace mcpkeep::gateway
