// gateway::StdioUpstream: an upstream MCP server run as a child process,
// speaking newline-delimited JSON-RPC on its stdin and stdout (MCP's stdio
// transport). Its stderr goes to the log (logger mcpkeep.upstream, with the
// session); its last lines name what went wrong when it ends.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/command.h"
#include "gateway/spawn.h"
#include "gateway/upstream.h"

namespace mcpkeep::gateway {

class StdioUpstream : public Upstream {
 public:
  // Starts the child. Throws UpstreamError when it cannot be started.
  // `log_context` names whom it serves in log lines (a session id, or
  // "shared").
  StdioUpstream(const Command& command, Receiver receiver, std::string log_context);
  // Stops the child: closes its stdin, then after 1 s sends SIGTERM to its
  // process group, after 2 s more SIGKILL. Receiver::ended is not called.
  ~StdioUpstream() override;

  void send(const nlohmann::json& message) override;
  const std::string& name() const override { return name_; }
  std::string recentOutput() override;

 private:
  void readUntilEnd();
  // Handles one line of stdout or stderr.
  void onLine(bool from_stdout, const std::string& line);

  const std::string name_;
  Receiver receiver_;
  Child child_;
  int wake_[2] = {-1, -1};  // written to stop reading

  std::mutex write_mutex_;
  bool stdin_open_ = true;

  std::mutex mutex_;
  std::condition_variable exited_cv_;
  bool exited_ = false;
  bool stopping_ = false;
  std::deque<std::string> stderr_tail_;  // its last lines
  std::string not_json_;                 // the last stdout line that was not a message

  std::thread reader_;
};

}  // namespace mcpkeep::gateway
