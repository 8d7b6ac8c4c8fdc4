#include "mcp/served_file.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "log/log.h"
#include "mcp/json_rpc.h"

namespace mcpkeep::mcp {

using nlohmann::json;

namespace {

// Answers every request on a request stream a dead process left open with
// the interrupted error and marks the stream interrupted; returns how many.
int answerInterruptedRequests(Store& store, const std::function<bool(const Stream&)>& resumes) {
  int answered = 0;
  for (const Stream& stream : store.openRequestStreams()) {
    if (resumes && resumes(stream)) continue;
    json pending = json::parse(stream.request_ids.value_or("[]"), nullptr, false);
    if (!pending.is_array()) pending = json::array();
    const Replay replay = store.eventsAfter(stream.session_id, EventId{stream.id, 0});
    for (const Event& event : replay.events) {
      const json message = json::parse(event.data, nullptr, false);
      if (!message.is_object() || !message.contains("id") || message.contains("method")) continue;
      pending.erase(std::remove(pending.begin(), pending.end(), message["id"]), pending.end());
    }
    for (const json& id : pending) {
      store.append(stream.session_id, stream.id, "message", interruptedError(id).dump());
      ++answered;
    }
    store.closeStream(stream.session_id, stream.id, StreamState::kInterrupted);
  }
  return answered;
}

}  // namespace

ServedFile::ServedFile(Store& store, const std::function<bool(const Stream&)>& resumes) : lock_(store.path()) {
  if (const int answered = answerInterruptedRequests(store, resumes); answered > 0) {
    log::info("mcpkeep.mcp", "answered requests interrupted by the last stop",
              {{"count", std::to_string(answered)}});
  }
}

}  // namespace mcpkeep::mcp
