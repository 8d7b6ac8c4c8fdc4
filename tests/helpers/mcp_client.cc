#include "helpers/mcp_client.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

namespace mcpkeep::test {

using nlohmann::json;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Adds one SSE line to `event`; true when the line ends the event.
bool addSseLine(const std::string& raw, SseEvent& event, bool& has_fields) {
  std::string line = raw;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    // Per the SSE spec: the data buffer loses its last line feed.
    if (!event.data.empty() && event.data.back() == '\n') event.data.pop_back();
    return has_fields;
  }
  if (line[0] == ':') return false;
  const auto colon = line.find(':');
  const std::string field = line.substr(0, colon);
  std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value[0] == ' ') value.erase(0, 1);
  has_fields = true;
  if (field == "id") event.id = value;
  if (field == "event") event.type = value;
  if (field == "retry") event.retry = std::stoi(value);
  if (field == "data") event.data += value + "\n";
  return false;
}

}  // namespace

std::string HttpReply::header(const std::string& name) const {
  const auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

json HttpReply::response(const json& id) const {
  for (const auto& e : events) {
    if (e.data.empty()) continue;
    const json m = json::parse(e.data, nullptr, false);
    if (m.is_object() && m.contains("id") && m["id"] == id && !m.contains("method")) return m;
  }
  if (!body.empty() && events.empty()) return json::parse(body);
  return json();
}

McpClient::McpClient(uint16_t port, std::string host) : port_(port), host_(std::move(host)) {}

HttpReply McpClient::send(const std::string& method, const std::string& body,
                          const std::map<std::string, std::string>& headers,
                          std::size_t max_events,
                          const std::function<void(const SseEvent&)>& on_event) const {
  Poco::Net::HTTPClientSession session(host_, port_);
  session.setTimeout(Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(timeout).count()));
  Poco::Net::HTTPRequest request(method, "/mcp", Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [name, value] : headers) {
    if (lower(name) == "host") {
      request.setHost(value);
    } else {
      request.set(name, value);
    }
  }
  if (!body.empty() || method == "POST") request.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(request) << body;

  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  HttpReply reply;
  reply.status = response.getStatus();
  for (const auto& [name, value] : response) reply.headers[lower(name)] = value;
  if (lower(response.getContentType()).rfind("text/event-stream", 0) == 0) {
    SseEvent event;
    bool has_fields = false;
    std::string line;
    while (reply.events.size() < max_events && std::getline(in, line)) {
      reply.body += line + "\n";
      if (addSseLine(line, event, has_fields)) {
        reply.events.push_back(event);
        if (on_event) on_event(event);
        event = SseEvent();
        has_fields = false;
      }
    }
  } else {
    Poco::StreamCopier::copyToString(in, reply.body);
  }
  return reply;
}

std::map<std::string, std::string> McpClient::standardHeaders() const {
  std::map<std::string, std::string> h = {{"Content-Type", "application/json"},
                                          {"Accept", "application/json, text/event-stream"}};
  if (!session_id.empty()) h["Mcp-Session-Id"] = session_id;
  if (!protocol_version.empty()) h["MCP-Protocol-Version"] = protocol_version;
  if (!auth_token.empty()) h["Authorization"] = "Bearer " + auth_token;
  return h;
}

HttpReply McpClient::post(const json& message, const std::map<std::string, std::string>& extra) const {
  auto headers = standardHeaders();
  for (const auto& [name, value] : extra) headers[name] = value;
  return send("POST", message.dump(), headers);
}

HttpReply McpClient::postStateless(const json& message, const std::map<std::string, std::string>& extra,
                                   std::size_t max_events, const std::function<void(const SseEvent&)>& on_event) const {
  std::map<std::string, std::string> headers = {{"Content-Type", "application/json"},
                                                {"Accept", "application/json, text/event-stream"},
                                                {"MCP-Protocol-Version", "2026-07-28"},
                                                {"Mcp-Method", message["method"].get<std::string>()}};
  if (!auth_token.empty()) headers["Authorization"] = "Bearer " + auth_token;
  const json& params = message["params"];
  for (const char* named : {"name", "uri", "taskId"}) {
    if (params.contains(named) && params[named].is_string()) headers["Mcp-Name"] = params[named];
  }
  for (const auto& [name, value] : extra) headers[name] = value;
  return send("POST", message.dump(), headers, max_events, on_event);
}

Listening::Listening(const McpClient& client, json request, std::size_t max_events) {
  reading_ = std::async(std::launch::async, [this, client, request = std::move(request), max_events] {
    return client.postStateless(request, {}, max_events, [this](const SseEvent& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      seen_.push_back(json::parse(e.data));
      arrived_.notify_all();
    });
  });
}

Listening::~Listening() {
  if (reading_.valid()) reading_.wait_for(std::chrono::seconds(10));
}

bool Listening::waitFor(std::size_t n) {
  std::unique_lock<std::mutex> lock(mutex_);
  return arrived_.wait_for(lock, std::chrono::seconds(10), [&] { return seen_.size() >= n; });
}

json Listening::operator[](std::size_t i) {
  std::lock_guard<std::mutex> lock(mutex_);
  return i < seen_.size() ? seen_[i] : json();
}

HttpReply Listening::finish() {
  if (reading_.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return HttpReply();
  return reading_.get();
}

json statelessRequest(int id, const std::string& method, json params, json capabilities) {
  params["_meta"] = {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                     {"io.modelcontextprotocol/clientCapabilities", std::move(capabilities)}};
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}

json withTasks(json more) {
  more["extensions"]["io.modelcontextprotocol/tasks"] = json::object();
  return more;
}

HttpReply McpClient::initialize(const std::string& version) {
  const int id = next_id++;
  HttpReply reply = post({{"jsonrpc", "2.0"}, {"id", id}, {"method", "initialize"},
                          {"params", {{"protocolVersion", version},
                                      {"capabilities", capabilities},
                                      {"clientInfo", {{"name", "mcpkeep-test"}, {"version", "1"}}}}}});
  session_id = reply.header("Mcp-Session-Id");
  const json response = reply.response(id);
  if (response.contains("result")) protocol_version = response["result"]["protocolVersion"];
  post({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  return reply;
}

json McpClient::request(const std::string& method, const json& params) {
  const int id = next_id++;
  return post({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}).response(id);
}

HttpReply McpClient::get(const std::map<std::string, std::string>& extra, std::size_t max_events,
                         const std::function<void(const SseEvent&)>& on_event) const {
  auto headers = standardHeaders();
  headers.erase("Content-Type");
  headers["Accept"] = "text/event-stream";
  for (const auto& [name, value] : extra) headers[name] = value;
  return send("GET", std::string(), headers, max_events, on_event);
}

std::vector<SseEvent> parseSse(const std::string& text) {
  std::vector<SseEvent> events;
  SseEvent event;
  bool has_fields = false;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (addSseLine(line, event, has_fields)) {
      events.push_back(event);
      event = SseEvent();
      has_fields = false;
    }
  }
  return events;
}

}  // namespace mcpkeep::test
