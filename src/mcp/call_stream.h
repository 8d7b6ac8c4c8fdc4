// mcp::CallStream: the stream of a tool call, opened only when it must be.
// A tool that returns within a moment is answered with one commit: its
// stream opened, answered and closed together (Hub::openAndAnswer). One that
// takes longer, or sends anything first (progress, logs, requests), gets its
// stream opened then, and answers on it as usual. Nothing is sent before
// the stream is committed: a client that has seen nothing of a call loses
// nothing a crash takes.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

#include <mcpkeep/hub.h>

namespace mcpkeep::mcp {

class CallStream {
 public:
  CallStream(Hub& hub, std::string session_id, std::string request_ids)
      : hub_(hub), session_id_(std::move(session_id)), request_ids_(std::move(request_ids)) {}

  // The stream, opened now if it is not yet.
  StreamId open() {
    std::lock_guard<std::mutex> lock(mutex_);
    return openLocked();
  }

  // Waits up to `budget` for the call to be answered (opened together with
  // its answer), then opens the stream if it is not yet.
  StreamId await(std::chrono::milliseconds budget) {
    std::unique_lock<std::mutex> lock(mutex_);
    opened_.wait_for(lock, budget, [this] { return stream_ != 0; });
    return openLocked();
  }

  // The call's response: in the commit that opens the stream if it is not
  // open yet, else appended and closing it.
  void answer(const std::string& message) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stream_ == 0) {
        stream_ = hub_.openAndAnswer(session_id_, request_ids_, "message", message);
        opened_.notify_all();
        return;
      }
    }
    hub_.publishAndClose(session_id_, stream_, "message", message);
  }

  // The stream if it is open; 0 if not yet.
  StreamId openedAs() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stream_;
  }

  // Ends the stream without a response (a cancelled call).
  void close() { hub_.closeStream(session_id_, open()); }

 private:
  StreamId openLocked() {
    if (stream_ == 0) {
      stream_ = hub_.store().openRequestStream(session_id_, request_ids_);
      opened_.notify_all();
    }
    return stream_;
  }

  Hub& hub_;
  const std::string session_id_;
  const std::string request_ids_;
  std::mutex mutex_;
  std::condition_variable opened_;
  StreamId stream_ = 0;  // 0: not opened yet
};

}  // namespace mcpkeep::mcp
