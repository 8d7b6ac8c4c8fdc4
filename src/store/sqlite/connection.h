// store::Connection: one SQLite connection with its prepared statements,
// made once and reused. Not thread-safe: one thread at a time (the group
// commit leader, or the holder of a ReaderPool lease).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

namespace mcpkeep::store {

class Connection {
 public:
  // A cached statement in use; on destruction it is reset (ending any read
  // it holds open) and its bindings cleared.
  class Query {
   public:
    explicit Query(SQLite::Statement& statement) : statement_(&statement) {}
    Query(Query&& other) noexcept : statement_(other.statement_) { other.statement_ = nullptr; }
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    Query& operator=(Query&&) = delete;
    ~Query();

    SQLite::Statement* operator->() const { return statement_; }
    SQLite::Statement& operator*() const { return *statement_; }

   private:
    SQLite::Statement* statement_;
  };

  // A transaction begun and ended with cached statements (SQLite::Transaction
  // prepares BEGIN and COMMIT anew each time, a cost on every read and
  // write). Rolls back unless committed, as SQLite::Transaction does.
  class Transaction {
   public:
    // `begin`: "BEGIN" (a read snapshot, deferred) or "BEGIN IMMEDIATE".
    Transaction(Connection& connection, const std::string& begin);
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();
    void commit();

   private:
    Connection& connection_;
    bool open_ = true;
  };

  Connection(const std::string& path, int open_flags, int busy_timeout_ms);

  SQLite::Database& db() { return db_; }
  const std::string& path() const { return path_; }

  // The prepared statement for `sql`, prepared on first use. Do not hold two
  // Queries of the same SQL at once.
  Query query(const std::string& sql);

  // Runs a statement that returns one value (e.g. a PRAGMA) and returns it as text.
  std::string scalar(const std::string& sql);

 private:
  std::string path_;
  SQLite::Database db_;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
};

}  // namespace mcpkeep::store
