#include "store/sqlite/connection.h"

#include <sqlite3.h>

#include "store/sqlite/sqlite_error.h"

namespace mcpkeep::store {

Connection::Query::~Query() {
  if (statement_ == nullptr) return;
  statement_->tryReset();
  try {
    statement_->clearBindings();
  } catch (const SQLite::Exception&) {
    // sqlite3_clear_bindings cannot fail; nothing to do.
  }
}

Connection::Transaction::Transaction(Connection& connection, const std::string& begin)
    : connection_(connection) {
  connection_.query(begin)->exec();
}

Connection::Transaction::~Transaction() {
  // A failed COMMIT or an I/O error may already have ended the transaction.
  if (open_ && !sqlite3_get_autocommit(connection_.db().getHandle())) {
    connection_.query("ROLLBACK")->tryExecuteStep();
  }
}

void Connection::Transaction::commit() {
  connection_.query("COMMIT")->exec();
  open_ = false;
}

void Connection::rollbackWrite() noexcept {
  if (!sqlite3_get_autocommit(db_.getHandle())) query("ROLLBACK")->tryExecuteStep();
}

bool Connection::transactionLost() { return sqlite3_get_autocommit(db_.getHandle()) != 0; }

std::exception_ptr Connection::translate(std::exception_ptr error, const std::string& context) const {
  try {
    std::rethrow_exception(error);
  } catch (const SQLite::Exception& e) {
    return std::make_exception_ptr(translateSqliteError(e, context));
  } catch (...) {
    return error;
  }
}

Connection::Connection(const std::string& path, int open_flags, int busy_timeout_ms)
    : path_(path), db_(path, open_flags, busy_timeout_ms) {}

Connection::Query Connection::query(const std::string& sql) {
  auto& slot = statements_[sql];
  if (!slot) slot = std::make_unique<SQLite::Statement>(db_, sql);
  return Query(*slot);
}

std::string Connection::scalar(const std::string& sql) {
  SQLite::Statement statement(db_, sql);
  if (!statement.executeStep()) return std::string();
  return statement.getColumn(0).getString();
}

}  // namespace mcpkeep::store
