// Hub: publish = append + ring the session's doorbell; subscribe = a
// cursor over the store (see subscription.cc).
#include <mcpkeep/hub.h>

#include "log/log.h"
#include "stream/doorbells.h"
#include "stream/subscription_state.h"

namespace mcpkeep {

Hub::Hub(Store& store, HubOptions options)
    : store_(store), options_(options), doorbells_(std::make_shared<stream::Doorbells>()) {
  if (options_.poll_interval <= std::chrono::milliseconds(0)) return;
  // The first look, here: a commit any time after the constructor is seen.
  try {
    store_.changesSince(watched_);
  } catch (const Error&) {
    // The watcher's next look takes note instead.
  }
  watcher_ = std::thread([this] { watch(); });
  // Where the store announces changes, the watcher looks at once.
  watch_handle_ = store_.watchChanges([this] {
    {
      std::lock_guard<std::mutex> lock(watcher_mutex_);
      watcher_heard_ = true;
    }
    watcher_wake_.notify_all();
  });
}

Hub::~Hub() { shutdown(); }

std::string Hub::publish(const std::string& session_id, StreamId stream, const std::string& type,
                         const std::string& data) {
  Event event = store_.appendEvent(session_id, stream, type, data);
  std::string id = event.id;
  doorbells_->ring(session_id, {std::move(event), std::nullopt});
  return id;
}

std::string Hub::publish(const std::string& session_id, const std::string& type,
                         const std::string& data) {
  return publish(session_id, store_.standaloneStream(session_id), type, data);
}

std::string Hub::publishAndClose(const std::string& session_id, StreamId stream,
                                 const std::string& type, const std::string& data,
                                 StreamState final_state) {
  Event event = store_.appendEvent(session_id, stream, type, data, final_state);
  std::string id = event.id;
  doorbells_->forgetDisconnect(session_id, stream);
  doorbells_->ring(session_id, {std::move(event), final_state});
  return id;
}

StreamId Hub::openAndAnswer(const std::string& session_id, const std::string& request_ids_json,
                            const std::string& type, const std::string& data) {
  Event event = store_.openAndAnswer(session_id, request_ids_json, type, data);
  const StreamId stream = event.stream_id;
  doorbells_->ring(session_id, {std::move(event), StreamState::kCompleted});
  return stream;
}

int64_t Hub::broadcast(const std::string& type, const std::string& data) {
  const int64_t reached = store_.broadcast(type, data);
  doorbells_->ringAll();
  return reached;
}

Subscription Hub::subscribe(const std::string& session_id, const std::string& last_event_id) {
  return subscribe(session_id, EventId::require(last_event_id));
}

Subscription Hub::subscribe(const std::string& session_id, EventId after) {
  Subscription subscription = follow(session_id, after.stream);
  Subscription::State& state = *subscription.state_;
  state.cursor = after;
  // The first read also checks the id: a bad one throws here.
  state.rings_at_last_read = state.bell->rings();
  state.absorb(store_.eventsAfter(session_id, after, options_.read_batch));
  return subscription;
}

Subscription Hub::follow(const std::string& session_id, StreamId stream) {
  auto state = std::make_unique<Subscription::State>();
  state->store = &store_;
  state->options = options_;
  state->session_id = session_id;
  state->doorbells = doorbells_;
  state->bell = doorbells_->bellFor(session_id);
  state->cursor = EventId{stream, 0};
  return Subscription(std::move(state));
}

void Hub::closeStream(const std::string& session_id, StreamId stream, StreamState final_state) {
  store_.closeStream(session_id, stream, final_state);
  ended(session_id, stream);
}

void Hub::ended(const std::string& session_id, StreamId stream) {
  doorbells_->forgetDisconnect(session_id, stream);
  doorbells_->ring(session_id);
}

void Hub::disconnect(const std::string& session_id, StreamId stream) {
  doorbells_->requestDisconnect(session_id, stream);
}

bool Hub::removeSession(const std::string& session_id) {
  const bool removed = store_.removeSession(session_id);
  doorbells_->forgetDisconnects(session_id);
  doorbells_->ring(session_id);
  return removed;
}

void Hub::shutdown() {
  doorbells_->shutDown();
  {
    std::lock_guard<std::mutex> lock(watcher_mutex_);
    if (watcher_stopping_) return;
    watcher_stopping_ = true;
  }
  store_.unwatchChanges(watch_handle_);
  watcher_wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

void Hub::watch() {
  std::unique_lock<std::mutex> lock(watcher_mutex_);
  for (;;) {
    watcher_wake_.wait_for(lock, options_.poll_interval,
                           [this] { return watcher_stopping_ || watcher_heard_; });
    if (watcher_stopping_) return;
    watcher_heard_ = false;
    lock.unlock();
    try {
      const Store::Changes changes = store_.changesSince(watched_);
      if (changes.everything) {
        doorbells_->ringAll();
      } else {
        for (const std::string& session : changes.sessions) doorbells_->ring(session);
      }
    } catch (const Error& e) {
      // Subscribers look again at their next ring; the watcher tries again.
      log::warning("mcpkeep.hub", "watching for other writers failed", {{"error", e.what()}});
    }
    lock.lock();
  }
}

}  // namespace mcpkeep
