// mcpkeep::Hub: live delivery on top of a Store. publish() appends an event
// and wakes the subscribers of its session; a Subscription yields the stored
// events after an id first, then new ones as they are appended: one code path
// for replay and live, no gap and no duplicate at the switch. A slow
// subscriber reads from the store at its own pace, so it loses nothing while
// events are retained, and is told (Delivery::kGap) when it fell behind.
//
// Thread safety: Hub methods may be called from any thread. A Subscription is
// used by one thread at a time. Destroy subscriptions, then the hub (its
// watcher thread reads the store), before the Store.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <mcpkeep/store.h>

namespace mcpkeep {

namespace stream {
class Doorbells;
}

struct HubOptions {
  // How often the hub's one watcher thread asks the store whether other
  // processes committed (Store::changesSince: one query when none
  // did), ringing the doorbells of the sessions they wrote to. Subscribers
  // themselves never poll. On PostgreSQL the store also announces other
  // replicas' commits as they happen (Store::watchChanges), and the watcher
  // looks at once. Zero: no watcher (this process is the only writer).
  // Default: 250 ms.
  std::chrono::milliseconds poll_interval{std::chrono::milliseconds(250)};
  // Events read from the store per query. Default: 256.
  std::size_t read_batch = 256;
};

// One thing Subscription::next() yields.
struct Delivery {
  enum class Kind {
    kEvent,         // `event` is the next event of the stream
    kGap,           // events after the last delivered one were deleted by
                    // retention; what follows is what remains
    kStreamEnded,   // the stream is closed (`stream_state`) or its session is
                    // gone, and every stored event has been delivered
    kShutdown,      // the hub is shutting down
    kDisconnect,    // asked to let go (Hub::disconnect): the stream goes on;
                    // resume after lastEventId() with a new subscription
    kTimeout,       // nothing new within the wait
  };
  Kind kind = Kind::kTimeout;
  Event event;
  StreamState stream_state = StreamState::kOpen;
  bool session_gone = false;  // kStreamEnded because the session was deleted
};

class Hub;

class Subscription {
 public:
  Subscription(Subscription&&) noexcept;
  Subscription& operator=(Subscription&&) noexcept;
  ~Subscription();

  // Waits at most `wait` for the next delivery. After kStreamEnded or
  // kShutdown, every later call returns the same.
  Delivery next(std::chrono::milliseconds wait);

  // For event loops, instead of waiting in next(): calls `wake` whenever
  // next(0) may have something new (an event, the stream's end, a request
  // to let go, shutdown), until replaced or the subscription is destroyed.
  // It runs on the thread that rings, under a lock: it must be quick, must
  // not block, and must not use this subscription.
  void setWaker(std::function<void()> wake);

  StreamId streamId() const;
  // Id of the last event delivered (the one the subscription started after,
  // before any): what a client would send as Last-Event-ID.
  std::string lastEventId() const;

 private:
  friend class Hub;
  struct State;
  explicit Subscription(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class Hub {
 public:
  explicit Hub(Store& store, HubOptions options = HubOptions());
  // Shuts down (see shutdown()).
  ~Hub();

  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  Store& store() { return store_; }

  // Appends (Store::append) and wakes the session's subscribers.
  std::string publish(const std::string& session_id, StreamId stream, const std::string& type,
                      const std::string& data);
  // Publishes on the session's standalone stream.
  std::string publish(const std::string& session_id, const std::string& type,
                      const std::string& data);

  // Publishes the stream's last event and closes it in one transaction
  // (Store::appendAndClose); its subscribers end after that event.
  std::string publishAndClose(const std::string& session_id, StreamId stream,
                              const std::string& type, const std::string& data,
                              StreamState final_state = StreamState::kCompleted);

  // Opens a request stream whose one event answers it, and closes it, in one
  // transaction (Store::openAndAnswer); returns the new stream.
  StreamId openAndAnswer(const std::string& session_id, const std::string& request_ids_json,
                         const std::string& type, const std::string& data);

  // Publishes on every session's standalone stream; returns how many.
  int64_t broadcast(const std::string& type, const std::string& data);

  // Subscribes to the stream that `last_event_id` names, after that event.
  // Throws like Store::eventsAfter (kInvalidEventId, kNotFound), so a bad id
  // fails here, before anything is delivered.
  Subscription subscribe(const std::string& session_id, const std::string& last_event_id);
  Subscription subscribe(const std::string& session_id, EventId after);
  // Subscribes to a stream from its start, for the code that just opened
  // it: nothing is checked or read until the first next(), which may find
  // the response already there. If the stream is gone by then, it ends.
  Subscription follow(const std::string& session_id, StreamId stream);

  // Closes the stream and wakes its subscribers, which then end.
  void closeStream(const std::string& session_id, StreamId stream,
                   StreamState final_state = StreamState::kCompleted);

  // Asks the subscriber of a stream to let go: its next() returns
  // kDisconnect once it has delivered what is stored, and the stream stays
  // open. Over HTTP this closes the client's SSE connection so it resumes
  // later with Last-Event-ID (SEP-1699 polling). The request is taken by one
  // subscriber, who may subscribe after the call; closing the stream drops it.
  void disconnect(const std::string& session_id, StreamId stream);

  // Removes the session and wakes its subscribers, which then end.
  bool removeSession(const std::string& session_id);

  // Wakes every subscriber and makes each next() return kShutdown, and
  // stops the watcher. Idempotent.
  void shutdown();

 private:
  void watch();  // the watcher thread (see HubOptions::poll_interval)

  // After a stream ended: drops a pending disconnect of it (none is due now)
  // and wakes its subscribers, which then end.
  void ended(const std::string& session_id, StreamId stream);

  Store& store_;
  HubOptions options_;
  std::shared_ptr<stream::Doorbells> doorbells_;

  std::mutex watcher_mutex_;
  std::condition_variable watcher_wake_;
  bool watcher_stopping_ = false;
  bool watcher_heard_ = false;  // the store announced changes (PostgreSQL)
  uint64_t watch_handle_ = 0;
  Store::ChangeMark watched_;  // the watcher thread's
  std::thread watcher_;
};

}  // namespace mcpkeep
