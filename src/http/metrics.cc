#include "http/metrics.h"

#include <sstream>

#include "mcp/methods.h"

namespace mcpkeep::http {
namespace {

class Writer {
 public:
  void header(const char* name, const char* type, const char* help) {
    out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  }
  void sample(const std::string& name, double value, const std::string& labels = "") {
    out_ << name;
    if (!labels.empty()) out_ << "{" << labels << "}";
    out_ << " " << value << "\n";
  }
  void metric(const char* name, const char* type, const char* help, double value) {
    header(name, type, help);
    sample(name, value);
  }
  void histogram(const char* name, const char* help, const Histogram& h) {
    header(name, "histogram", help);
    int64_t cumulative = 0;
    for (std::size_t i = 0; i < h.bounds.size(); ++i) {
      cumulative += h.counts[i];
      std::ostringstream bound;
      bound << h.bounds[i];
      sample(std::string(name) + "_bucket", static_cast<double>(cumulative), "le=\"" + bound.str() + "\"");
    }
    sample(std::string(name) + "_bucket", static_cast<double>(h.count), "le=\"+Inf\"");
    sample(std::string(name) + "_sum", h.sum);
    sample(std::string(name) + "_count", static_cast<double>(h.count));
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

}  // namespace

void Metrics::request(const std::string& http_method, int status) {
  const std::string method =
      http_method == "GET" || http_method == "POST" || http_method == "DELETE" ? http_method : "other";
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{method, status}];
}

void Metrics::rpcRequest(const std::string& method) {
  std::lock_guard<std::mutex> lock(mutex_);
  // A label value for each method MCP defines, so a client cannot grow the
  // series without bound.
  ++rpc_requests_[mcp::findMethod(method) ? method : "other"];
}

std::string Metrics::exposition(const Store& store, int connections) const {
  const WriteStats writes = store.writeStats();
  Writer w;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    w.header("mcpkeep_http_requests_total", "counter", "HTTP requests answered, by method and status.");
    for (const auto& [key, n] : requests_) {
      w.sample("mcpkeep_http_requests_total", static_cast<double>(n),
               "method=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"");
    }
    w.header("mcpkeep_rpc_requests_total", "counter", "JSON-RPC requests received, by MCP method.");
    for (const auto& [method, n] : rpc_requests_) {
      w.sample("mcpkeep_rpc_requests_total", static_cast<double>(n), "method=\"" + method + "\"");
    }
  }
  w.metric("mcpkeep_connections", "gauge", "HTTP connections being served.", connections);
  w.metric("mcpkeep_sse_streams_open", "gauge", "SSE responses open now.", static_cast<double>(streams_open_));
  w.metric("mcpkeep_sse_streams_parked", "gauge", "SSE responses open now that wait in the event loop, not on a thread.",
           static_cast<double>(streams_parked_));
  w.metric("mcpkeep_sse_events_sent_total", "counter", "Events written to SSE streams.",
           static_cast<double>(events_sent_));
  w.metric("mcpkeep_replays_total", "counter", "Streams resumed with Last-Event-ID.", static_cast<double>(replays_));
  w.metric("mcpkeep_events_replayed_total", "counter", "Events written to streams resumed with Last-Event-ID.",
           static_cast<double>(events_replayed_));
  w.metric("mcpkeep_replay_gaps_total", "counter",
           "Resumes told that events after their Last-Event-ID were deleted by retention.",
           static_cast<double>(gaps_));
  w.metric("mcpkeep_sessions_created_total", "counter", "Sessions created by initialize.",
           static_cast<double>(sessions_created_));
  w.metric("mcpkeep_sessions_deleted_total", "counter", "Sessions ended by DELETE.",
           static_cast<double>(sessions_deleted_));
  w.metric("mcpkeep_sessions_expired_total", "counter", "Sessions deleted for idleness by maintenance.",
           static_cast<double>(writes.sessions_expired));
  w.metric("mcpkeep_sessions", "gauge", "Sessions in the database.", static_cast<double>(store.sessionCount()));
  w.metric("mcpkeep_events_appended_total", "counter", "Events appended to the database.",
           static_cast<double>(writes.appends));
  w.metric("mcpkeep_commits_total", "counter", "Write transactions committed.", static_cast<double>(writes.commits));
  w.histogram("mcpkeep_commit_seconds", "Time from BEGIN to the end of COMMIT per transaction.",
              writes.commit_seconds);
  w.histogram("mcpkeep_commit_batch_size", "Writes per committed transaction (group commit).", writes.batch_sizes);
  if (!store.shared()) {  // a file's; PostgreSQL reports its own sizes
    const Store::FileSizes sizes = Store::fileSizes(store.path());
    w.metric("mcpkeep_database_bytes", "gauge", "Size of the database file.", static_cast<double>(sizes.database_bytes));
    w.metric("mcpkeep_wal_bytes", "gauge", "Size of the WAL file.", static_cast<double>(sizes.wal_bytes));
  }
  return w.text();
}

}  // namespace mcpkeep::http
