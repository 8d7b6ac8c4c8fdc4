// store::PgConnection: one libpq connection with its prepared statements,
// made once per connection and reused; results as text. Not thread-safe: one
// thread at a time (the group commit leader, or the holder of a
// ConnectionPool lease). Errors are PgError, turned into mcpkeep::Error by
// translate().
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include <libpq-fe.h>

#include <mcpkeep/error.h>

namespace mcpkeep::store {

// A query parameter: text, or NULL.
struct PgParam {
  PgParam(std::string v) : value(std::move(v)) {}  // NOLINT: implicit by design
  PgParam(const char* v) : value(std::string(v)) {}
  PgParam(int64_t v) : value(std::to_string(v)) {}
  PgParam(int v) : value(std::to_string(v)) {}
  PgParam(bool v) : value(v ? "true" : "false") {}
  PgParam(std::optional<std::string> v) : value(std::move(v)) {}
  PgParam(std::nullopt_t) {}
  std::optional<std::string> value;
};

// What PostgreSQL refused, with its SQLSTATE ("" when the connection broke).
class PgError : public std::runtime_error {
 public:
  PgError(std::string sqlstate, const std::string& message, std::string detail, bool lost)
      : std::runtime_error(message), sqlstate(std::move(sqlstate)), detail(std::move(detail)),
        connection_lost(lost) {}
  std::string sqlstate;
  std::string detail;
  bool connection_lost;
};

// A query's rows, owned; columns as text.
class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}
  int rows() const { return PQntuples(result_.get()); }
  bool isNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string text(int row, int column) const {
    return std::string(PQgetvalue(result_.get(), row, column),
                       static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
  }
  std::optional<std::string> optionalText(int row, int column) const {
    if (isNull(row, column)) return std::nullopt;
    return text(row, column);
  }
  int64_t int64(int row, int column) const;
  bool boolean(int row, int column) const { return text(row, column) == "t"; }
  // Rows an INSERT, UPDATE or DELETE changed.
  int64_t affected() const;

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

class PgConnection {
 public:
  // Connects (throws Error kUnavailable naming the server when it cannot).
  explicit PgConnection(const std::string& conninfo);
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` ($1, $2, ... for `params`) as a statement prepared on first
  // use. Throws PgError.
  PgResult query(const std::string& sql, const std::vector<PgParam>& params = {});
  // Runs one or more statements without parameters (migrations, LISTEN).
  void exec(const std::string& sql);

  // False once the server went away; reconnect() tries again.
  bool usable() const { return PQstatus(conn_.get()) == CONNECTION_OK; }
  void reconnect();
  int socket() const { return PQsocket(conn_.get()); }
  PGconn* raw() const { return conn_.get(); }
  // The server, for messages: postgresql://user@host:port/database (no password).
  const std::string& name() const { return name_; }

  // The steps of a GroupCommit transaction (store/group_commit.h). A write
  // connection that lost its server reconnects at beginWrite.
  void beginWrite();
  void commitWrite();
  void rollbackWrite() noexcept;
  void savepoint() { exec("SAVEPOINT write"); }
  void rollbackToSavepoint() { exec("ROLLBACK TO SAVEPOINT write"); }
  void releaseSavepoint() { exec("RELEASE SAVEPOINT write"); }
  bool transactionLost() const;
  std::exception_ptr translate(std::exception_ptr error, const std::string& context) const;
  // A deadlock with another replica's transaction, or a serialization
  // failure: the same write may well succeed when run again.
  bool retryable(const std::exception_ptr& error) const;

  // Sessions this write transaction changed (their events, streams, or the
  // session itself), or every session; announced to every replica with one
  // NOTIFY at commit (see PgListener).
  void noteChanged(const std::string& session_id) { changed_.insert(session_id); }
  void noteEverythingChanged() { everything_changed_ = true; }
  // This transaction left messages for `replica` (the word "@<replica>" in
  // the notification).
  void noteMessagesFor(const std::string& replica) { changed_.insert("@" + replica); }

  // The NOTIFY channel the writers announce commits on.
  static constexpr const char* kChannel = "mcpkeep_changes";

 private:
  void connect();
  PgResult check(PGresult* result, const std::string& sql);

  std::string conninfo_;
  std::string name_;
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn_;
  std::unordered_map<std::string, std::string> prepared_;  // sql -> statement name
  std::set<std::string> changed_;
  bool everything_changed_ = false;
};

// The server named by a connection string or URI, without its password.
std::string redactedConninfo(const std::string& conninfo);

// PostgreSQL's refusal as mcpkeep::Error: a lost or refused connection is
// kUnavailable (retry later), a deadlock kBusy, a bad value kInvalidArgument.
Error translatePgError(const PgError& e, const std::string& context);

// True for a location Store opens on PostgreSQL: postgres:// or postgresql://.
bool isPostgresLocation(const std::string& location);

}  // namespace mcpkeep::store
