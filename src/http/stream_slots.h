// http::StreamSlots: counts the responses each session holds open (SSE
// streams, JSON-mode requests waiting), so one session cannot take every
// connection the server has.
// Thread safety: safe to use from any thread.
#pragma once

#include <map>
#include <mutex>
#include <string>

namespace mcpkeep::http {

class StreamSlots {
 public:
  explicit StreamSlots(int per_session) : per_session_(per_session) {}

  // One open response; released at destruction.
  class Slot {
   public:
    Slot(StreamSlots& slots, std::string session_id)
        : slots_(&slots), session_id_(std::move(session_id)) {}
    ~Slot() {
      if (slots_) slots_->release(session_id_);
    }
    Slot(Slot&& o) noexcept : slots_(o.slots_), session_id_(std::move(o.session_id_)) { o.slots_ = nullptr; }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;

   private:
    StreamSlots* slots_;
    std::string session_id_;
  };

  // A slot for one more open response of the session; throws HttpError 429
  // when it holds per_session already.
  Slot take(const std::string& session_id);

 private:
  void release(const std::string& session_id);

  const int per_session_;
  std::mutex mutex_;
  std::map<std::string, int> open_;
};

}  // namespace mcpkeep::http
