// The order matters: nothing is written until the file has proved to be a
// healthy SQLite database of a schema version we know, so a bad file is
// refused unchanged.
#include "store/sqlite/open_database.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <optional>

#include <SQLiteCpp/Transaction.h>

#include <mcpkeep/error.h>

#include "store/backend.h"
#include "store/sqlite/sqlite_error.h"

namespace mcpkeep::store {
namespace {

bool fileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::unique_ptr<Connection> connect(const std::string& path, int flags,
                                    const StoreOptions& options) {
  try {
    return std::make_unique<Connection>(path, flags,
                                        static_cast<int>(options.busy_timeout.count()));
  } catch (const SQLite::Exception& e) {
    throw translateSqliteError(e, "opening " + path);
  }
}

void setCheckpointOnClose(Connection& c, bool on) {
  sqlite3_db_config(c.db().getHandle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, on ? 0 : 1, nullptr);
}

// `path` as an SQLite URI file name.
std::string uriOf(const std::string& path) {
  std::string uri = "file:";
  for (char ch : path) {
    if (ch == '?') uri += "%3f";
    else if (ch == '#') uri += "%23";
    else if (ch == '%') uri += "%25";
    else uri += ch;
  }
  return uri;
}

// The database_id (migration 0004) as the file has it, through the WAL or
// not; nullopt when the file has none (older or not ours).
std::optional<int64_t> databaseId(const std::string& uri, int flags, const StoreOptions& options) {
  auto c = connect(uri, flags | SQLite::OPEN_URI, options);
  setCheckpointOnClose(*c, false);
  if (c->db().execAndGet("SELECT count(*) FROM sqlite_schema WHERE name = 'database_id'").getInt() == 0) {
    return std::nullopt;
  }
  SQLite::Statement q(c->db(), "SELECT id FROM database_id");
  if (!q.executeStep()) return std::nullopt;
  return q.getColumn(0).getInt64();
}

// A WAL file holds no trace of its database: one from another database
// would be replayed over this one. Refuses the file, without writing, when
// the database_id read through the WAL differs from the file's own.
void requireOwnWal(const std::string& path, const StoreOptions& options) {
  std::optional<int64_t> own;
  try {
    // immutable=1: the file alone, WAL ignored, nothing written.
    own = databaseId(uriOf(path) + "?immutable=1", SQLite::OPEN_READONLY, options);
  } catch (const SQLite::Exception&) {
    return;  // the file's own checks below say what is wrong with it
  }
  if (!own) return;
  std::optional<int64_t> through_wal;
  try {
    through_wal = databaseId(uriOf(path), SQLite::OPEN_READONLY, options);
  } catch (const SQLite::Exception&) {
    through_wal = std::nullopt;  // the WAL made it unreadable
  }
  if (through_wal != own) {
    throw Error(ErrorCode::kCorrupt,
                "opening " + path + ": the WAL file beside it, " + path +
                    "-wal, belongs to another database; move that file away to open the "
                    "database as of its last checkpoint, or restore both from a backup");
  }
}

// Refuses, without writing, a file that is not a healthy database we know.
void checkBeforeWriting(Connection& c, const StoreOptions& options, int latest_version) {
  const std::string& path = c.path();
  if (sqlite3_db_readonly(c.db().getHandle(), "main") == 1) {
    throw Error(ErrorCode::kReadOnly,
                "opening " + path +
                    ": the file can only be opened read-only (mcpkeep needs write access to "
                    "the file and its directory)");
  }
  // The first read of the file: not-a-database and locks show here.
  const int version = c.db().execAndGet("PRAGMA user_version").getInt();
  requireKnownVersion(version, latest_version, path);
  if (options.check_on_open) {
    std::string problems;
    SQLite::Statement check(c.db(), "PRAGMA quick_check(5)");
    while (check.executeStep()) {
      const std::string line = check.getColumn(0).getString();
      if (line == "ok") break;
      problems += (problems.empty() ? "" : "; ") + line;
    }
    if (!problems.empty()) {
      throw Error(ErrorCode::kCorrupt, path + " failed its integrity check (" + problems +
                                           "); restore it from a backup");
    }
  }
}

void configure(Connection& c, const StoreOptions& options) {
  auto& db = c.db();
  const bool empty = db.execAndGet("SELECT count(*) FROM sqlite_schema").getInt() == 0;
  if (empty) {
    // Only possible before the first table exists; lets the maintenance job
    // give freed pages back to the file system.
    db.exec("PRAGMA auto_vacuum = INCREMENTAL");
  }
  const std::string mode = c.scalar("PRAGMA journal_mode = WAL");
  if (mode != "wal") {
    throw Error(ErrorCode::kIo, "opening " + c.path() + ": could not enable WAL (journal_mode is " +
                                    mode + "); use a file on a local file system");
  }
  db.exec(options.durability == Durability::kFull ? "PRAGMA synchronous = FULL"
                                                  : "PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
}

}  // namespace

void writeRetention(Connection& c, const Retention& r) {
  auto set = c.query("UPDATE settings SET value = ? WHERE name = ?");
  for (const auto& [name, value] : retentionSettings(r)) {
    set->bind(1, value);
    set->bind(2, name);
    set->exec();
    set->reset();
  }
}

std::unique_ptr<Connection> openWriter(const std::string& path, const StoreOptions& options,
                                       const std::vector<Migration>& migrations) {
  if (!options.create_if_missing && !fileExists(path)) {
    throw Error(ErrorCode::kCantOpen,
                "opening " + path + ": no such file (and create_if_missing is off)");
  }
  const bool had_wal = fileExists(path + "-wal");
  if (had_wal && fileExists(path)) requireOwnWal(path, options);
  const int flags = SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX |
                    (options.create_if_missing ? SQLite::OPEN_CREATE : 0);
  auto c = connect(path, flags, options);
  // Until the file has proved sound, closing must not copy a WAL it had
  // into it (the last connection to close does so by default).
  if (had_wal) setCheckpointOnClose(*c, false);
  try {
    checkBeforeWriting(*c, options, latestVersion(migrations));
    configure(*c, options);
    migrate(c->db(), path, migrations);

    SQLite::Transaction transaction(c->db(), SQLite::TransactionBehavior::IMMEDIATE);
    if (options.retention) writeRetention(*c, *options.retention);
    transaction.commit();
  } catch (const SQLite::Exception& e) {
    throw translateSqliteError(e, "opening " + path);
  }
  setCheckpointOnClose(*c, true);
  return c;
}

namespace {

// Another connection to a database the writer has opened, after `setup`.
std::unique_ptr<Connection> openSecondary(const std::string& path, const StoreOptions& options,
                                          const char* setup, const std::string& role) {
  auto c = connect(path, SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX, options);
  try {
    c->db().exec(setup);
  } catch (const SQLite::Exception& e) {
    throw translateSqliteError(e, "opening a " + role + " on " + path);
  }
  return c;
}

}  // namespace

std::unique_ptr<Connection> openReader(const std::string& path, const StoreOptions& options) {
  return openSecondary(path, options, "PRAGMA query_only = ON", "reader");
}

std::unique_ptr<Connection> openCheckpointer(const std::string& path, const StoreOptions& options) {
  // A connection opens the file lazily; until it has read the header, it
  // does not know the WAL exists, and a checkpoint does nothing.
  return openSecondary(path, options, "SELECT count(*) FROM sqlite_schema", "checkpointer");
}

}  // namespace mcpkeep::store
