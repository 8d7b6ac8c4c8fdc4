#include "mcp/replica_inbox.h"

#include <chrono>

#include "log/log.h"
#include "mcp/client_requests.h"

namespace mcpkeep::mcp {

using nlohmann::json;

ReplicaInbox::ReplicaInbox(Store& store, std::function<bool()> expecting, Receiver receive)
    : store_(store), expecting_(std::move(expecting)), receive_(std::move(receive)) {
  store_.changesSince(mark_);  // from now on
  thread_ = std::thread([this] { run(); });
  watch_ = store_.watchChanges([this] {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      heard_ = true;
    }
    wake_.notify_all();
  });
}

ReplicaInbox::~ReplicaInbox() {
  store_.unwatchChanges(watch_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ReplicaInbox::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    // A notification says whether messages were left for this replica; the
    // second also covers one lost while the store's listener reconnected,
    // and drops what arrived after its call ended.
    const bool heard = wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || heard_; });
    if (stopping_) return;
    heard_ = false;
    lock.unlock();
    try {
      const bool left = store_.changesSince(mark_).messages;
      if (!heard || (left && expecting_())) {
        for (const auto& [session, message] : store_.takeMessages()) {
          receive_(session, json::parse(message, nullptr, false));
        }
      }
    } catch (const std::exception& e) {
      log::warning("mcpkeep.mcp", "taking messages from other replicas failed", {{"error", e.what()}});
    }
    lock.lock();
  }
}

namespace {

// The stream whose owner waits for `message`, or 0.
StreamId streamAwaiting(Store& store, const std::string& session_id, const json& message) {
  if (!message.contains("method")) return streamOfClientRequest(message.value("id", json()));
  if (message.value("method", "") != "notifications/cancelled") return 0;
  const json request_id = message.value("params", json::object()).value("requestId", json());
  if (request_id.is_null()) return 0;
  for (const Stream& stream : store.streams(session_id)) {
    if (stream.kind != StreamKind::kRequest || stream.state != StreamState::kOpen) continue;
    const json ids = json::parse(stream.request_ids.value_or("[]"), nullptr, false);
    if (!ids.is_array()) continue;
    for (const json& id : ids) {
      if (id == request_id) return stream.id;
    }
  }
  return 0;
}

}  // namespace

void leaveForWaitingReplica(Store& store, const std::string& session_id, const json& message) {
  if (!store.shared()) return;
  if (const StreamId stream = streamAwaiting(store, session_id, message)) {
    store.leaveForStreamOwner(session_id, stream, message.dump());
  }
}

}  // namespace mcpkeep::mcp
