#include "store/postgres/pg_connection.h"

#include <regex>

namespace mcpkeep::store {
namespace {

// NOTIFY payloads are limited to 8000 bytes; past this, "*" (everything).
constexpr std::size_t kMaxPayload = 7900;

void ignoreNotice(void*, const char*) {}

// libpq's messages span lines ("...\n\tThis probably means..."): one line
// reads better in logs and JSON-RPC errors.
std::string oneLine(std::string text) {
  std::string out;
  bool space = false;
  for (char ch : text) {
    const bool blank = ch == '\n' || ch == '\t' || ch == '\r' || ch == ' ';
    if (blank) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += ch;
  }
  return out;
}

}  // namespace

bool isPostgresLocation(const std::string& location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::string redactedConninfo(const std::string& conninfo) {
  // postgresql://user:secret@host/db -> postgresql://user@host/db;
  // password=secret -> password=***
  static const std::regex uri_password(R"(^(postgres(?:ql)?://[^:@/]*):[^@/]*@)");
  static const std::regex key_password(R"((password\s*=\s*)('[^']*'|\S+))");
  std::string out = std::regex_replace(conninfo, uri_password, "$1@");
  return std::regex_replace(out, key_password, "$1***");
}

int64_t PgResult::int64(int row, int column) const {
  return std::stoll(std::string(PQgetvalue(result_.get(), row, column)));
}

int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(result_.get());
  return n[0] == '\0' ? 0 : std::stoll(n);
}

PgConnection::PgConnection(const std::string& conninfo)
    : conninfo_(conninfo), name_(redactedConninfo(conninfo)), conn_(nullptr, &PQfinish) {
  connect();
}

void PgConnection::connect() {
  prepared_.clear();
  conn_.reset(PQconnectdb(conninfo_.c_str()));
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    const std::string why = oneLine(PQerrorMessage(conn_.get()));
    throw Error(ErrorCode::kUnavailable,
                "cannot connect to PostgreSQL at " + name_ + ": " + why + " (retry later)");
  }
  PQsetNoticeProcessor(conn_.get(), &ignoreNotice, nullptr);
  // Times are stored as Unix ms; the session settings only shape views.
  exec("SET TIME ZONE 'UTC'");
}

void PgConnection::reconnect() { connect(); }

PgResult PgConnection::check(PGresult* raw, const std::string& sql) {
  PgResult result(raw);
  const ExecStatusType status = raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  const bool lost = PQstatus(conn_.get()) != CONNECTION_OK;
  std::string message = oneLine(raw != nullptr ? PQresultErrorMessage(raw) : PQerrorMessage(conn_.get()));
  const char* state = raw != nullptr ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  const char* detail = raw != nullptr ? PQresultErrorField(raw, PG_DIAG_MESSAGE_DETAIL) : nullptr;
  if (message.empty()) message = "failed: " + sql.substr(0, 60);
  throw PgError(state ? state : "", message, detail ? detail : "", lost);
}

PgResult PgConnection::query(const std::string& sql, const std::vector<PgParam>& params) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    const std::string name = "s" + std::to_string(prepared_.size() + 1);
    check(PQprepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr), sql);
    it = prepared_.emplace(sql, name).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const PgParam& p : params) values.push_back(p.value ? p.value->c_str() : nullptr);
  return check(PQexecPrepared(conn_.get(), it->second.c_str(), static_cast<int>(values.size()),
                              values.data(), nullptr, nullptr, 0),
               sql);
}

void PgConnection::exec(const std::string& sql) { check(PQexec(conn_.get(), sql.c_str()), sql); }

void PgConnection::beginWrite() {
  if (!usable()) reconnect();
  changed_.clear();
  everything_changed_ = false;
  try {
    exec("BEGIN");
  } catch (const PgError& e) {
    // The server went away since the last write (a restart): nothing ran,
    // so a fresh connection may begin at once.
    if (!e.connection_lost) throw;
    reconnect();
    exec("BEGIN");
  }
}

void PgConnection::commitWrite() {
  if (everything_changed_ || !changed_.empty()) {
    std::string payload;
    if (!everything_changed_) {
      for (const std::string& id : changed_) {
        if (payload.size() + id.size() + 1 > kMaxPayload) {
          payload.clear();
          break;
        }
        payload += payload.empty() ? id : " " + id;
      }
    }
    // One notification per commit; every replica's listener hears it.
    query("SELECT pg_notify($1, $2)", {kChannel, payload.empty() ? "*" : payload});
  }
  exec("COMMIT");
}

void PgConnection::rollbackWrite() noexcept {
  if (PQstatus(conn_.get()) == CONNECTION_OK && PQtransactionStatus(conn_.get()) != PQTRANS_IDLE) {
    PQclear(PQexec(conn_.get(), "ROLLBACK"));
  }
}

bool PgConnection::transactionLost() const {
  // A failed statement leaves the transaction INERROR (a savepoint can undo
  // that); a lost connection or an ended transaction cannot be undone.
  const PGTransactionStatusType t = PQtransactionStatus(conn_.get());
  return PQstatus(conn_.get()) != CONNECTION_OK || t == PQTRANS_IDLE || t == PQTRANS_UNKNOWN;
}

std::exception_ptr PgConnection::translate(std::exception_ptr error,
                                           const std::string& context) const {
  try {
    std::rethrow_exception(error);
  } catch (const PgError& e) {
    return std::make_exception_ptr(translatePgError(e, context));
  } catch (...) {
    return error;
  }
}

bool PgConnection::retryable(const std::exception_ptr& error) const {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return e.code() == ErrorCode::kBusy;
  } catch (...) {
    return false;
  }
}

Error translatePgError(const PgError& e, const std::string& context) {
  const std::string cause = context + ": " + e.what();
  const std::string& s = e.sqlstate;
  const std::string cls = s.substr(0, 2);
  if (e.connection_lost || cls == "08" || s == "57P01" || s == "57P02" || s == "57P03") {
    return Error(ErrorCode::kUnavailable, cause + " (PostgreSQL is unreachable; retry later)");
  }
  if (s == "40001" || s == "40P01" || s == "55P03") {
    return Error(ErrorCode::kBusy, cause + " (a conflicting transaction; retry)");
  }
  if (cls == "53") return Error(ErrorCode::kIo, cause + " (PostgreSQL is out of resources)");
  if (cls == "23" || cls == "22") return Error(ErrorCode::kInvalidArgument, cause);
  if (s == "25006") return Error(ErrorCode::kReadOnly, cause + " (a read-only server: connect to the primary)");
  return Error(ErrorCode::kInternal, cause);
}

}  // namespace mcpkeep::store
