// store::PgListener: one connection per process that LISTENs for the
// writers' commit notifications (one per group commit, naming the sessions
// it changed) on a thread of its own, and keeps them for changesSince. When
// the connection is lost it reconnects and LISTENs again, then reports
// "everything" once: notifications sent meanwhile are lost, so every
// subscriber reads the store again (the catch-up read). The word
// "@<replica id>" says messages were left for that replica.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <mcpkeep/store.h>

namespace mcpkeep::store {

class PgListener {
 public:
  // `replica`: this process's replica id, to hear of messages left for it.
  PgListener(std::string conninfo, std::string replica);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  Store::Changes changesSince(Store::ChangeMark& mark);
  // Store::watchChanges / unwatchChanges.
  uint64_t watch(std::function<void()> wake);
  void unwatch(uint64_t handle);

  // How many times the listening connection was (re)established.
  int64_t connects() const;

 private:
  struct Heard {
    uint64_t number;
    std::vector<std::string> sessions;
    bool everything;
    bool messages;
  };
  void run();
  void hear(std::vector<std::string> sessions, bool everything, bool messages);

  const std::string conninfo_;
  const std::string messages_word_;  // "@<replica id>"
  mutable std::mutex mutex_;
  std::deque<Heard> heard_;  // the latest, numbered from 1
  uint64_t last_number_ = 0;
  int64_t connects_ = 0;
  std::mutex watchers_mutex_;  // held while they run
  std::map<uint64_t, std::function<void()>> watchers_;
  uint64_t last_handle_ = 0;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace mcpkeep::store
