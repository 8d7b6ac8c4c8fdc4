#include "mcp/served_file.h"

#include <unistd.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "log/log.h"
#include "mcp/json_rpc.h"

namespace mcpkeep::mcp {

using nlohmann::json;

namespace {

// Claims the request streams dead replicas left open, answers every request
// on them with the interrupted error and marks them interrupted (except
// those `resumes` takes); returns how many requests it answered.
int answerInterruptedRequests(Store& store, bool others_dead,
                              const std::function<bool(const Stream&)>& resumes) {
  int answered = 0;
  for (const Stream& stream : store.claimOrphanedStreams(others_dead)) {
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

ServedFile::ServedFile(Store& store, const std::function<bool(const Stream&)>& resumes) : store_(store) {
  if (!store.shared()) lock_.emplace(store.path());
  if (const int answered = answerInterruptedRequests(store, lock_.has_value(), resumes); answered > 0) {
    log::info("mcpkeep.mcp", "answered requests interrupted by the last stop",
              {{"count", std::to_string(answered)}});
  }
  if (lock_) return;
  watcher_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto every = std::max(store_.replicaLease() / 2, std::chrono::milliseconds(10));
    while (!wake_.wait_for(lock, every, [this] { return stopping_; })) {
      lock.unlock();
      try {
        if (const int answered = answerInterruptedRequests(store_, false, nullptr); answered > 0) {
          log::info("mcpkeep.mcp", "answered requests of a replica that stopped",
                    {{"count", std::to_string(answered)}});
        }
      } catch (const std::exception& e) {
        log::warning("mcpkeep.mcp", "ending a stopped replica's streams failed", {{"error", e.what()}});
      }
      lock.lock();
    }
  });
}

ServedFile::~ServedFile() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

void ServedFile::describe(const std::string& url) {
  if (lock_) lock_->describe(url);
  try {
    store_.describeReplica("pid " + std::to_string(::getpid()) + ", " + url);
  } catch (const Error& e) {
    log::warning("mcpkeep.mcp", "describing this replica failed", {{"error", e.what()}});
  }
}

}  // namespace mcpkeep::mcp
