// mcp::ReplicaInbox: on a database replicas share, the messages other
// replicas left for this one (Store::leaveForStreamOwner): a client's answer
// to a request a tool here sent, or the cancellation of a call running here,
// that the client sent to another replica. A thread takes them when the
// store announces messages for this replica while something here may wait
// for one (`expecting`), and every second, and hands each to `receive`.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <mcpkeep/store.h>
#include <nlohmann/json.hpp>

namespace mcpkeep::mcp {

class ReplicaInbox {
 public:
  using Receiver = std::function<void(const std::string& session_id, const nlohmann::json& message)>;

  ReplicaInbox(Store& store, std::function<bool()> expecting, Receiver receive);
  ~ReplicaInbox();
  ReplicaInbox(const ReplicaInbox&) = delete;
  ReplicaInbox& operator=(const ReplicaInbox&) = delete;

 private:
  void run();

  Store& store_;
  const std::function<bool()> expecting_;
  const Receiver receive_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool heard_ = false;
  bool stopping_ = false;
  Store::ChangeMark mark_;  // the run thread's
  uint64_t watch_ = 0;
  std::thread thread_;
};

// A message a client sent to this replica that nothing here takes: on a
// shared database, left for the owner of the stream that waits for it (a
// response to a request "mcpkeep-<stream>-<n>", or a cancellation of the
// call an open request stream answers); else dropped (answered, timed out,
// or a restart came between).
void leaveForWaitingReplica(Store& store, const std::string& session_id, const nlohmann::json& message);

}  // namespace mcpkeep::mcp
