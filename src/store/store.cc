// Store: opening and closing, retention settings and counters. The other
// methods live in sessions.cc, streams.cc, events.cc and maintenance.cc.
#include <mcpkeep/store.h>

#include <sys/stat.h>

#include <algorithm>

#include "log/log.h"
#include "store/checkpointer.h"
#include "store/migrations.h"
#include "store/open_database.h"
#include "store/store_impl.h"

namespace mcpkeep {

std::string noSuchSession(const std::string& session_id) {
  return "no session '" + session_id + "' (unknown, expired or deleted)";
}

std::string streamName(const std::string& session_id, StreamId stream) {
  return "stream " + std::to_string(stream) + " of session '" + session_id + "'";
}

Store::Impl::Impl(const std::string& p, StoreOptions o) : path(p), options(std::move(o)) {
  if (!options.clock) options.clock = [] { return std::chrono::system_clock::now(); };
  auto writer_connection = store::openWriter(path, options, store::embeddedMigrations());
  sqlite3* const writer_handle = writer_connection->db().getHandle();
  writer = std::make_unique<store::GroupCommit>(
      std::move(writer_connection), options.max_batch,
      options.durability == Durability::kFull ? options.commit_delay
                                              : std::chrono::microseconds(0));
  checkpointer = std::make_unique<store::Checkpointer>(store::openCheckpointer(path, options),
                                                       writer_handle, kCheckpointStepPages,
                                                       kCheckpointPages);
  readers = std::make_unique<store::ReaderPool>(
      [this] { return store::openReader(path, options); }, options.max_readers);
}

Store::Impl::~Impl() { stopMaintenanceTimer(); }

void Store::Impl::requireSession(store::Connection& c, const std::string& session_id) {
  auto q = c.query("SELECT 1 FROM sessions WHERE id = ?");
  q->bind(1, session_id);
  if (!q->executeStep()) throw Error(ErrorCode::kNotFound, noSuchSession(session_id));
}

std::optional<std::string> Store::Impl::streamState(store::Connection& c,
                                                    const std::string& session_id,
                                                    StreamId stream) {
  auto q = c.query("SELECT state FROM streams WHERE id = ? AND session_id = ?");
  q->bind(1, stream);
  q->bind(2, session_id);
  if (!q->executeStep()) return std::nullopt;
  return q->getColumn(0).getString();
}

Store::Store(const std::string& path, StoreOptions options)
    : impl_(std::make_unique<Impl>(path, std::move(options))) {
  impl_->startMaintenanceTimer([this] {
    const MaintenanceReport report = runMaintenance();
    if (report.sessions_expired.empty()) return;
    log::info("mcpkeep.store", "sessions expired",
              {{"count", std::to_string(report.sessions_expired.size())}});
    for (const std::string& id : report.sessions_expired) {
      log::debug("mcpkeep.store", "session expired", {{"session", id}});
    }
  });
}

// The timer calls into this Store, so it stops before anything is torn down.
Store::~Store() { impl_->stopMaintenanceTimer(); }

const std::string& Store::path() const { return impl_->path; }

Store::FileSizes Store::fileSizes(const std::string& path) {
  const auto bytes = [](const std::string& file) -> int64_t {
    struct stat st;
    return ::stat(file.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
  };
  return {bytes(path), bytes(path + "-wal")};
}

int Store::schemaVersion() { return store::latestVersion(store::embeddedMigrations()); }

Retention Store::retention() const {
  return impl_->read("reading retention settings", [](store::Connection& c) {
    Retention r;
    auto q = c.query("SELECT name, value FROM settings");
    while (q->executeStep()) {
      const std::string name = q->getColumn(0).getString();
      const int64_t value = q->getColumn(1).getInt64();
      if (name == "max_events") r.max_events = value;
      if (name == "max_age_ms") r.max_age = std::chrono::milliseconds(value);
      if (name == "session_timeout_ms") r.session_timeout = std::chrono::milliseconds(value);
    }
    return r;
  });
}

void Store::setRetention(const Retention& retention) {
  impl_->writer->write([&](store::Connection& c) { store::writeRetention(c, retention); });
}

void Histogram::observe(double value) {
  const auto at = std::lower_bound(bounds.begin(), bounds.end(), value);
  ++counts[static_cast<std::size_t>(at - bounds.begin())];
  sum += value;
  ++count;
}

WriteStats Store::writeStats() const {
  WriteStats s = impl_->writer->stats();
  s.appends = impl_->appends.load();
  s.sessions_expired = impl_->sessions_expired.load();
  return s;
}

}  // namespace mcpkeep
