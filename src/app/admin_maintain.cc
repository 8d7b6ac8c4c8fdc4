// The admin commands that write: expire (the maintenance job, now), vacuum
// (a full VACUUM with progress) and migrate. Each may run beside a live
// server; they take the write lock while they work.
#include <sqlite3.h>

#include <chrono>
#include <iostream>
#include <thread>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <mcpkeep/error.h>
#include <mcpkeep/store.h>

#include "app/admin.h"

namespace mcpkeep::app {

using nlohmann::ordered_json;

namespace {

const char kExpireUsage[] =
    "usage: mcpkeep expire [--db PATH] [--json]\n"
    "\n"
    "Runs the maintenance job now: deletes events older than max_age_ms and sessions\n"
    "idle longer than session_timeout_ms (see `mcpkeep stats`), prunes empty closed\n"
    "streams, gives freed pages back and checkpoints the WAL.\n";

const char kVacuumUsage[] =
    "usage: mcpkeep vacuum [--db PATH] [--json]\n"
    "\n"
    "Rewrites the database into the smallest file (VACUUM), printing progress on\n"
    "stderr, then truncates the WAL. It holds the write lock throughout: a server\n"
    "beside it answers writes 503 meanwhile.\n";

const char kMigrateUsage[] =
    "usage: mcpkeep migrate [--db PATH] [--json]\n"
    "\n"
    "Applies the migrations this mcpkeep has to the database and reports the\n"
    "schema version before and after (`serve` does the same at start).\n";

// A Store for admin work: no background job, no file created.
StoreOptions adminOptions() {
  StoreOptions options;
  options.maintenance_interval = std::chrono::milliseconds(0);
  options.create_if_missing = false;
  return options;
}

// Progress of a VACUUM in WAL mode: it writes the new copy of every page to
// the WAL, so the WAL's growth against the file's size tells how far it is.
struct VacuumProgress {
  std::string db;
  double total_bytes;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();

  static int tick(void* self) {
    auto* p = static_cast<VacuumProgress*>(self);
    const auto now = std::chrono::steady_clock::now();
    if (now - p->last >= std::chrono::seconds(1)) {
      p->last = now;
      const double done = std::min(1.0, static_cast<double>(Store::fileSizes(p->db).wal_bytes) / p->total_bytes);
      std::cerr << "vacuum: about " << static_cast<int>(done * 100) << "%" << std::endl;
    }
    return 0;  // go on
  }
};

// PRAGMA wal_checkpoint(TRUNCATE), repeated while a server's own checkpoint
// holds the checkpoint lock: SQLite answers that at once, without calling the
// busy handler. Returns whether the WAL was copied back and truncated.
bool truncateWal(SQLite::Database& db, std::chrono::steady_clock::duration patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    SQLite::Statement checkpoint(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    checkpoint.executeStep();
    if (checkpoint.getColumn(0).getInt() == 0) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

int expire(const std::vector<std::string>& args) {
  return runAdmin("expire", kExpireUsage, args, {}, {}, [](const AdminCommand& command) {
    const MaintenanceReport report = Store(command.db(), adminOptions()).runMaintenance();
    command.printObject({{"events_expired", report.events_expired},
                         {"streams_pruned", report.streams_pruned},
                         {"sessions_expired", report.sessions_expired.size()}});
    return 0;
  });
}

int vacuum(const std::vector<std::string>& args) {
  return runAdmin("vacuum", kVacuumUsage, args, {}, {}, [](const AdminCommand& command) {
    command.requireFile();
    { Store check(command.db(), adminOptions()); }  // a sound file of a schema we know
    SQLite::Database db(command.db(), SQLite::OPEN_READWRITE, 60000);
    truncateWal(db, std::chrono::seconds(60));  // so the size before counts what the WAL held
    const int64_t before = Store::fileSizes(command.db()).database_bytes;
    VacuumProgress progress{command.db(), std::max(1.0, static_cast<double>(before))};
    sqlite3_progress_handler(db.getHandle(), 100000, &VacuumProgress::tick, &progress);
    const auto started = std::chrono::steady_clock::now();
    db.exec("VACUUM");
    sqlite3_progress_handler(db.getHandle(), 0, nullptr, nullptr);
    const bool truncated = truncateWal(db, std::chrono::seconds(60));
    if (!truncated) std::cerr << "vacuum: the WAL stayed busy; the file shrinks at the next checkpoint" << std::endl;
    const Store::FileSizes after = Store::fileSizes(command.db());
    command.printObject({{"file_bytes_before", before},
                         {"file_bytes_after", after.database_bytes},
                         {"wal_bytes", after.wal_bytes},
                         {"wal_truncated", truncated},
                         {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}});
    return 0;
  });
}

int migrate(const std::vector<std::string>& args) {
  return runAdmin("migrate", kMigrateUsage, args, {}, {}, [](const AdminCommand& command) {
    const int before = command.openReadOnly()->execAndGet("PRAGMA user_version").getInt();
    Store store(command.db(), adminOptions());
    const int after = command.openReadOnly()->execAndGet("PRAGMA user_version").getInt();
    command.printObject({{"file", command.db()}, {"schema_version_before", before}, {"schema_version_after", after},
                         {"migrations_applied", after - before}});
    return 0;
  });
}

}  // namespace mcpkeep::app
