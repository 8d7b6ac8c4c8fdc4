// The maintenance job: age retention, idle-session expiry, incremental
// vacuum, WAL checkpoint and optimize; and the timer that runs it.
#include <mcpkeep/store.h>

#include "log/log.h"
#include "store/store_impl.h"
#include "store/unix_time.h"

namespace mcpkeep {

MaintenanceReport Store::runMaintenance() {
  MaintenanceReport report;
  const int64_t now = store::toUnixMillis(impl_->now());
  impl_->writer->write([&](store::Connection& c) {
    auto q = c.query(
        "DELETE FROM events WHERE created_at < ? - "
        "(SELECT value FROM settings WHERE name = 'max_age_ms')");
    q->bind(1, now);
    report.events_expired = q->exec();
    // Nothing is left to replay from these; their rows would pile up.
    auto prune = c.query(
        "DELETE FROM streams WHERE kind = 'request' AND state != 'open' AND closed_at < ? - "
        "(SELECT value FROM settings WHERE name = 'max_age_ms') "
        "AND NOT EXISTS (SELECT 1 FROM events WHERE events.stream_id = streams.id)");
    prune->bind(1, now);
    report.streams_pruned = prune->exec();
    // A task is kept for its ttl from creation (the client was told so), then goes.
    auto tasks = c.query("DELETE FROM tasks WHERE ttl_ms IS NOT NULL AND created_at + ttl_ms < ?");
    tasks->bind(1, now);
    report.tasks_expired = tasks->exec();
  });
  report.sessions_expired = expireIdleSessions();
  impl_->writer->exclusive([](store::Connection& c) {
    // Give freed pages back, keep the WAL from growing without bound, and
    // let SQLite refresh the statistics its planner uses.
    c.db().exec("PRAGMA incremental_vacuum");
    c.db().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    c.db().exec("PRAGMA optimize");
  });
  return report;
}

void Store::Impl::startMaintenanceTimer(std::function<void()> run) {
  if (options.maintenance_interval.count() <= 0) return;
  timer = std::thread([this, run = std::move(run)] {
    std::unique_lock<std::mutex> lock(timer_mutex);
    while (!timer_wake.wait_for(lock, options.maintenance_interval,
                                [this] { return timer_stopping; })) {
      lock.unlock();
      try {
        run();
      } catch (const std::exception& e) {
        if (options.on_maintenance_error) {
          options.on_maintenance_error(e);
        } else {
          log::error("mcpkeep.store", "maintenance failed", {{"file", path}, {"error", e.what()}});
        }
      }
      lock.lock();
    }
  });
}

void Store::Impl::stopMaintenanceTimer() {
  {
    std::lock_guard<std::mutex> lock(timer_mutex);
    timer_stopping = true;
  }
  timer_wake.notify_all();
  if (timer.joinable()) timer.join();
}

}  // namespace mcpkeep
