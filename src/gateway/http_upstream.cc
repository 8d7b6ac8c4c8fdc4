#include "gateway/http_upstream.h"

#include <algorithm>

#include <chrono>
#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>

#include "gateway/sse_reader.h"
#include "mcp/pool_task.h"
#include "log/log.h"
#include "mcp/stateless_era.h"

namespace mcpkeep::gateway {

using nlohmann::json;
using Poco::Net::HTTPClientSession;
using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;

namespace {

constexpr const char* kLogger = "mcpkeep.upstream";

bool isRequest(const json& message) { return message.contains("method") && message.contains("id"); }

// What a body says, shortened for a message.
std::string snippet(const std::string& body) { return body.size() > 200 ? body.substr(0, 200) + "..." : body; }

}  // namespace

bool HttpUpstream::forgotSession(int status, const std::string& body) const {
  if (sessionId().empty()) return false;
  if (status == 404) return true;  // what the specification says
  // What servers built on the 1.x SDK examples say (server-everything too):
  // 400 "Bad Request: No valid session ID provided".
  std::string lower = body;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return status == 400 && lower.find("session") != std::string::npos;
}

HttpUpstream::HttpUpstream(const HttpTarget& target, Receiver receiver, std::string log_context,
                           Poco::ThreadPool& threads)
    : Upstream(std::move(log_context)),
      target_(target),
      uri_(target.url),
      receiver_(std::move(receiver)),
      threads_pool_(threads) {
  if (uri_.getScheme() != "http" || uri_.getHost().empty()) {
    throw UpstreamError("upstream URL '" + target_.url +
                        "' is not an http:// URL (https is not supported yet: put the server behind "
                        "a local URL, or run it with --upstream-command)");
  }
}

HttpUpstream::~HttpUpstream() {
  std::unique_lock<std::mutex> lock(mutex_);
  stopping_ = true;  // take() gives no more connections
  changed_.notify_all();
  while (threads_ > 0) {
    // Again and again: a thread may have been connecting at the last round.
    for (HTTPClientSession* session : in_use_) {
      try {
        session->abort();  // its thread sees an exception and ends
      } catch (const Poco::Exception&) {
        // Not connected (yet, or any more).
      }
    }
    changed_.wait_for(lock, std::chrono::milliseconds(50), [&] { return threads_ == 0; });
  }
}

std::string HttpUpstream::recentOutput() {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

std::string HttpUpstream::sessionId() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return session_id_;
}

bool HttpUpstream::resume(const std::string& session_id, const std::string& protocol_version) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    session_id_ = session_id;
    protocol_version_ = protocol_version;
  }
  startListening();
  return true;
}

bool HttpUpstream::spawn(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++threads_;
  }
  const auto done = [this] {
    std::lock_guard<std::mutex> lock(mutex_);
    --threads_;
    changed_.notify_all();
  };
  try {
    mcp::startOnPool(threads_pool_, [task = std::move(task), done] {
      task();
      done();
    });
  } catch (const Poco::NoThreadAvailableException&) {
    done();
    return false;
  }
  return true;
}

HttpUpstream::Session HttpUpstream::take(bool* reused) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) throw Poco::IllegalStateException("the upstream is being stopped");
  Session session;
  if (reused) *reused = !idle_.empty();
  if (reused && !idle_.empty()) {
    session = std::move(idle_.back());
    idle_.pop_back();
  } else {
    session = std::make_unique<HTTPClientSession>(uri_.getHost(), uri_.getPort());
    session->setKeepAlive(true);
    // Connect and send quickly; an answer may take as long as the tool.
    session->setTimeout(Poco::Timespan(10, 0), Poco::Timespan(30, 0), Poco::Timespan(24 * 3600, 0));
  }
  in_use_.insert(session.get());
  return session;
}

void HttpUpstream::giveBack(Session session) {
  std::lock_guard<std::mutex> lock(mutex_);
  in_use_.erase(session.get());
  if (!stopping_ && idle_.size() < 64) idle_.push_back(std::move(session));
}

void HttpUpstream::addHeaders(HTTPRequest& request, const json& message) {
  for (const auto& [name, value] : target_.headers) request.set(name, value);
  // A 2026-07-28 request (its _meta names the version): no session, its
  // version, method and name mirrored in headers.
  const json params = message.value("params", json::object());
  const json meta = params.is_object() ? params.value("_meta", json::object()) : json::object();
  if (meta.is_object() && meta.value(mcp::kProtocolVersionKey, json()).is_string()) {
    request.set("MCP-Protocol-Version", meta[mcp::kProtocolVersionKey].get<std::string>());
    request.set("Mcp-Method", message.value("method", ""));
    for (const char* named : {"name", "uri", "taskId"}) {
      if (!params.value(named, json()).is_string()) continue;
      const std::string value = params[named].get<std::string>();
      const bool plain = std::all_of(value.begin(), value.end(), [](char c) { return c > 0x20 && c < 0x7f; }) &&
                         value.rfind("=?", 0) != 0;
      if (plain) {
        request.set("Mcp-Name", value);
      } else {
        std::ostringstream encoded;
        Poco::Base64Encoder encoder(encoded);
        encoder.rdbuf()->setLineLength(0);
        encoder << value;
        encoder.close();
        request.set("Mcp-Name", "=?base64?" + encoded.str() + "?=");
      }
      break;
    }
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (!session_id_.empty()) request.set("Mcp-Session-Id", session_id_);
  if (!protocol_version_.empty()) request.set("MCP-Protocol-Version", protocol_version_);
}

void HttpUpstream::end(const std::string& why) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ended_ || stopping_) return;
    ended_ = true;
    last_error_ = why;
  }
  receiver_.ended(why);
}

void HttpUpstream::send(const json& message) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ended_ || stopping_) throw UpstreamError("upstream '" + target_.url + "' has ended: " + last_error_);
  }
  if (isRequest(message)) {
    if (!spawn([this, message] { post(message); })) {
      receiver_.message({{"jsonrpc", "2.0"}, {"id", message["id"]},
                         {"error", {{"code", -32603}, {"message", "too many requests in flight to upstream '" +
                                                                      target_.url + "'; retry later"}}}});
    }
  } else {
    post(message);  // in order: notifications/initialized before what follows
  }
}

void HttpUpstream::post(const json& message) {
  if (!postOnce(message, true)) postOnce(message, false);
}

bool HttpUpstream::postOnce(const json& message, bool allow_retry) {
  const std::string body = message.dump();
  const bool initialize = message.value("method", "") == "initialize";
  bool reused = false;
  Session session;
  bool answered = false;  // the answer's status line came
  try {
    session = take(allow_retry ? &reused : nullptr);
    HTTPRequest request(HTTPRequest::HTTP_POST, uri_.getPathAndQuery(), HTTPRequest::HTTP_1_1);
    request.setContentType("application/json");
    request.set("Accept", "application/json, text/event-stream");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    addHeaders(request, message);
    session->sendRequest(request) << body;
    HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    answered = true;
    const int status = response.getStatus();
    if (status >= 400) {
      std::string text;
      Poco::StreamCopier::copyToString(in, text);
      giveBack(std::move(session));
      // A JSON-RPC error for this request, in a protocol 2026-07-28 code
      // (an unsupported version, a header or params problem, no such
      // method): the upstream's own answer, given as it is.
      const json refusal = json::parse(text, nullptr, false);
      if (isRequest(message) && refusal.is_object() && refusal.value("id", json()) == message["id"] &&
          refusal.contains("error")) {
        const int code = refusal["error"].value("code", 0);
        if ((code >= -32022 && code <= -32020) || code == -32601 || code == -32602) {
          receiver_.message(refusal);
          return true;
        }
      }
      if (forgotSession(status, text)) {
        if (receiver_.lost) receiver_.lost(message);
        return true;
      }
      const std::string why = "upstream '" + target_.url + "' answered HTTP " + std::to_string(status) + ": " + snippet(text);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        last_error_ = why;
      }
      if (isRequest(message)) {
        receiver_.message({{"jsonrpc", "2.0"}, {"id", message["id"]},
                           {"error", {{"code", -32603}, {"message", why}}}});
      } else {
        log::warning(kLogger, "upstream refused a message", {{"session", logContext()}, {"error", why}});
      }
      return true;
    }
    if (initialize && response.has("Mcp-Session-Id")) {
      std::lock_guard<std::mutex> lock(mutex_);
      session_id_ = response.get("Mcp-Session-Id");
    }
    const auto deliver = [&](const json& reply) {
      if (initialize && reply.contains("result")) {
        {
          std::lock_guard<std::mutex> lock(mutex_);
          protocol_version_ = reply["result"].value("protocolVersion", "");
        }
        startListening();
      }
      receiver_.message(reply);
    };
    if (response.getContentType().rfind("text/event-stream", 0) == 0) {
      readSse(in, [&](const SseMessage& event) {
        const json reply = json::parse(event.data, nullptr, false);
        if (reply.is_object()) deliver(reply);
        return true;
      });
    } else {
      std::string text;
      Poco::StreamCopier::copyToString(in, text);
      const json reply = json::parse(text, nullptr, false);
      if (reply.is_array()) {
        for (const json& each : reply) deliver(each);
      } else if (reply.is_object()) {
        deliver(reply);
      }
    }
    Poco::NullOutputStream drain;  // what is left must not start the next answer
    Poco::StreamCopier::copyStream(in, drain);
    giveBack(std::move(session));
  } catch (const Poco::Exception& e) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      in_use_.erase(session.get());
      if (stopping_) return true;
    }
    if (reused && !answered && allow_retry) {
      std::lock_guard<std::mutex> lock(mutex_);
      idle_.clear();  // closed while idle, as the others likely are
      return false;
    }
    const std::string what = message.value("method", message.contains("id") ? "a response" : "a message");
    end("cannot reach upstream '" + target_.url + "' (sending " + what + (reused ? ", on a kept-alive connection" : "") +
        "): " + e.displayText());
  }
  return true;
}

void HttpUpstream::startListening() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (listening_ || session_id_.empty() || stopping_) return;  // a stateless upstream has no GET stream
    listening_ = true;
  }
  if (!spawn([this] { listen(); })) {
    std::lock_guard<std::mutex> lock(mutex_);
    listening_ = false;  // tried again at the next initialize or resume
  }
}

void HttpUpstream::listen() {
  std::string last_event_id;
  for (;;) {
    Session session;
    bool retry = false;
    try {
      session = take();
      HTTPRequest request(HTTPRequest::HTTP_GET, uri_.getPathAndQuery(), HTTPRequest::HTTP_1_1);
      request.set("Accept", "text/event-stream");
      if (!last_event_id.empty()) request.set("Last-Event-ID", last_event_id);
      addHeaders(request, json::object());
      session->sendRequest(request);
      HTTPResponse response;
      std::istream& in = session->receiveResponse(response);
      if (response.getStatus() == 200) {
        readSse(
            in,
            [&](const SseMessage& event) {
              const json message = json::parse(event.data, nullptr, false);
              if (message.is_object()) receiver_.message(message);
              return true;
            },
            [&](const std::string& id) { last_event_id = id; });
        retry = true;  // it ended the stream: open it again
      }
      // 405: the upstream offers no GET stream; anything else: none now.
    } catch (const Poco::Exception&) {
      retry = true;  // a broken stream; if the upstream is gone, the next POST says so
    }
    std::unique_lock<std::mutex> lock(mutex_);
    in_use_.erase(session.get());
    session.reset();
    if (!retry || stopping_ || ended_) {
      listening_ = false;
      return;
    }
    changed_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
    if (stopping_) {
      listening_ = false;
      return;
    }
  }
}

void HttpUpstream::endSession() {
  if (sessionId().empty()) return;
  Session session;
  try {
    session = take();
    HTTPRequest request(HTTPRequest::HTTP_DELETE, uri_.getPathAndQuery(), HTTPRequest::HTTP_1_1);
    addHeaders(request, json::object());
    session->sendRequest(request);
    HTTPResponse response;
    Poco::NullOutputStream drain;
    Poco::StreamCopier::copyStream(session->receiveResponse(response), drain);
    giveBack(std::move(session));
  } catch (const Poco::Exception&) {
    std::lock_guard<std::mutex> lock(mutex_);
    in_use_.erase(session.get());
  }
}

}  // namespace mcpkeep::gateway
