// ServerFixture: Store + Hub + McpServer + HttpServer in this process, on a
// free loopback port, with tools for tests; stopped at scope exit.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <mcpkeep/http_server.h>
#include <mcpkeep/mcp_server.h>

#include "helpers/mcp_client.h"
#include "helpers/temp_dir.h"

namespace mcpkeep::test {

inline HttpOptions testHttpOptions() {
  HttpOptions o;
  o.port = 0;
  return o;
}

struct ServerFixture {
  explicit ServerFixture(HttpOptions http_options = testHttpOptions(),
                         StoreOptions store_options = testOptions())
      : store(dir.file("server.db"), store_options), hub(store), mcp(hub), http(mcp, http_options) {
    addTestTools();
    http.start();
  }
  ~ServerFixture() {
    http.stop();
    mcp.shutdown();
  }

  McpClient client() const { return McpClient(http.port()); }

  void addTestTools() {
    using nlohmann::json;
    Tool echo;
    echo.name = "echo";
    echo.description = "Returns its message.";
    echo.input_schema = {{"type", "object"}, {"properties", {{"message", {{"type", "string"}}}}}};
    echo.handler = [](const json& a, ToolContext&) -> json {
      return {{"content", {{{"type", "text"}, {"text", a.value("message", "")}}}}};
    };
    mcp.addTool(echo);

    Tool fail;
    fail.name = "fail";
    fail.description = "Always fails.";
    fail.handler = [](const json&, ToolContext&) -> json { throw std::runtime_error("it broke"); };
    mcp.addTool(fail);

    Tool progress;
    progress.name = "progress";
    progress.description = "Reports `steps` progress notifications, `interval_ms` apart.";
    progress.handler = [](const json& a, ToolContext& c) -> json {
      const int steps = a.value("steps", 3);
      for (int i = 1; i <= steps && !c.cancelled(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(a.value("interval_ms", 0)));
        c.progress(i, steps);
      }
      return {{"content", {{{"type", "text"}, {"text", "done"}}}}};
    };
    mcp.addTool(progress);

    Tool log;
    log.name = "log";
    log.description = "Logs one message at each of debug, info and error.";
    log.handler = [](const json&, ToolContext& c) -> json {
      for (const char* level : {"debug", "info", "error"}) c.log(level, std::string("at ") + level);
      return {{"content", json::array()}};
    };
    mcp.addTool(log);

    Tool reconnect;
    reconnect.name = "reconnect";
    reconnect.description = "Closes the client's SSE connection, then answers once released.";
    reconnect.handler = [this](const json&, ToolContext& c) -> json {
      c.closeSseStream();
      std::unique_lock<std::mutex> lock(release_mutex);
      released.wait_for(lock, std::chrono::seconds(10), [&] { return release_reconnect; });
      return {{"content", {{{"type", "text"}, {"text", "after the reconnect"}}}}};
    };
    mcp.addTool(reconnect);
  }

  // Lets the "reconnect" tool answer.
  void releaseReconnect() {
    {
      std::lock_guard<std::mutex> lock(release_mutex);
      release_reconnect = true;
    }
    released.notify_all();
  }

  std::mutex release_mutex;
  std::condition_variable released;
  bool release_reconnect = false;

  TempDir dir;
  Store store;
  Hub hub;
  McpServer mcp;
  HttpServer http;
};

}  // namespace mcpkeep::test
