// Options for opening a Store: durability, locking, retention, maintenance.
// Every field says its default.
// Thread safety: plain values, copied by the Store at open.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>

#include <mcpkeep/time.h>

namespace mcpkeep {

enum class Durability {
  // synchronous=NORMAL: nothing committed is lost when the process dies.
  kNormal,
  // synchronous=FULL: nothing committed is lost when the machine loses power.
  kFull,
};

// Retention limits. They live in the database's `settings` table, where the
// triggers and the maintenance job read them (so they hold for rows written
// with the sqlite3 CLI too).
struct Retention {
  // Events kept per session; an append deletes the oldest beyond this.
  // Default: 1000.
  int64_t max_events = 1000;
  // Events older than this are deleted by the maintenance job. Default: 300 s.
  std::chrono::milliseconds max_age{std::chrono::seconds(300)};
  // Sessions idle longer than this are deleted by the maintenance job.
  // Default: 1 h.
  std::chrono::milliseconds session_timeout{std::chrono::hours(1)};

  Retention& withMaxEvents(int64_t n) { max_events = n; return *this; }
  Retention& withMaxAge(std::chrono::milliseconds age) { max_age = age; return *this; }
  Retention& withSessionTimeout(std::chrono::milliseconds t) { session_timeout = t; return *this; }

  bool operator==(const Retention& o) const {
    return max_events == o.max_events && max_age == o.max_age &&
           session_timeout == o.session_timeout;
  }
};

struct StoreOptions {
  // Create the file when it does not exist. An existing file is never
  // replaced, whatever it holds. Default: true.
  bool create_if_missing = true;

  // Default: Durability::kNormal.
  Durability durability = Durability::kNormal;

  // How long an operation waits for a lock held by another connection (the
  // sqlite3 CLI, another process) before failing with ErrorCode::kBusy.
  // Default: 5000 ms.
  std::chrono::milliseconds busy_timeout{5000};

  // Written into the file's settings at open when set. Default: unset, which
  // keeps the file's own limits (a new file starts with Retention{}).
  std::optional<Retention> retention;

  // Run PRAGMA quick_check at open and refuse a corrupt file. Default: true.
  bool check_on_open = true;

  // touchSession() writes last_active at most this often per session, so a
  // request is not a commit. Idle expiry is late by at most this much.
  // Default: 5 s.
  std::chrono::milliseconds touch_interval{std::chrono::seconds(5)};

  // Period of the background maintenance job (age retention, idle expiry,
  // incremental vacuum, WAL checkpoint, optimize); zero disables it (call
  // Store::runMaintenance() yourself). Default: 60 s.
  std::chrono::milliseconds maintenance_interval{std::chrono::seconds(60)};

  // Called when a background maintenance run fails (the next period tries
  // again). Default: an error line on the "mcpkeep.store" Poco logger.
  std::function<void(const std::exception&)> on_maintenance_error;

  // Most writes that one group commit gathers into a transaction.
  // Default: 256.
  std::size_t max_batch = 256;

  // Under Durability::kFull, while other writers are active, how long a
  // commit waits for more writes to share its fsync. Default: 100 us.
  std::chrono::microseconds commit_delay{100};

  // Read connections kept for concurrent readers. Default: 8.
  std::size_t max_readers = 8;

  // The time source for stored times and retention. Default: system clock.
  Clock clock;

  // How long this process (replica) is presumed alive after it last
  // renewed its lease; the store renews it every third of this. Request
  // streams of a replica whose lease ran out are claimed by another
  // (Store::claimOrphanedStreams). On PostgreSQL leases run on the server's
  // clock. Default: 15 s.
  std::chrono::milliseconds replica_lease{std::chrono::seconds(15)};
};

}  // namespace mcpkeep
