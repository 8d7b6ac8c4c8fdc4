// store::Connection: one SQLite connection with its prepared statements,
// made once and reused. Not thread-safe: one thread at a time (the group
// commit leader, or the holder of a ConnectionPool lease).
#pragma once

#include <exception>
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
  // A file connection stays usable (ConnectionPool asks).
  bool usable() const { return true; }
  const std::string& path() const { return path_; }

  // The prepared statement for `sql`, prepared on first use. Do not hold two
  // Queries of the same SQL at once.
  Query query(const std::string& sql);

  // The steps of a GroupCommit transaction (store/group_commit.h).
  void beginWrite() { query("BEGIN IMMEDIATE")->exec(); }
  void commitWrite() { query("COMMIT")->exec(); }
  void rollbackWrite() noexcept;  // when a transaction is still open
  void savepoint() { query("SAVEPOINT write")->exec(); }
  void rollbackToSavepoint() { query("ROLLBACK TO write")->exec(); }
  void releaseSavepoint() { query("RELEASE write")->exec(); }
  bool transactionLost();
  // SQLite::Exception as mcpkeep::Error with `context`; others unchanged.
  std::exception_ptr translate(std::exception_ptr error, const std::string& context) const;
  // Inside its IMMEDIATE transaction the writer holds the file's lock: no
  // write fails for a reason that passes.
  bool retryable(const std::exception_ptr&) const { return false; }
  const std::string& name() const { return path_; }

  // Runs a statement that returns one value (e.g. a PRAGMA) and returns it as text.
  std::string scalar(const std::string& sql);

 private:
  std::string path_;
  SQLite::Database db_;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
};

}  // namespace mcpkeep::store
