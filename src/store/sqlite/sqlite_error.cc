// One table from SQLite result codes to mcpkeep error codes and advice.
#include "store/sqlite/sqlite_error.h"

#include <sqlite3.h>

namespace mcpkeep::store {

Error translateSqliteError(int extended_code, const std::string& sqlite_message,
                           const std::string& context) {
  const std::string cause = context + ": " + sqlite_message;
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error(ErrorCode::kBusy,
                   cause + " (another connection held the lock beyond the busy timeout; retry)");
    case SQLITE_READONLY:
      return Error(ErrorCode::kReadOnly,
                   cause + " (mcpkeep needs write access to the file and its directory)");
    case SQLITE_CANTOPEN:
      return Error(ErrorCode::kCantOpen,
                   cause + " (check that the directory exists and the path is a file)");
    case SQLITE_NOTADB:
      return Error(ErrorCode::kNotADatabase,
                   cause + " (the file is not an SQLite database; give another path)");
    case SQLITE_CORRUPT:
      return Error(ErrorCode::kCorrupt,
                   cause + " (the database is corrupt; restore it from a backup)");
    case SQLITE_FULL:
      return Error(ErrorCode::kIo, cause + " (disk full; free space and retry)");
    case SQLITE_IOERR:
    case SQLITE_NOLFS:
      return Error(ErrorCode::kIo, cause + " (I/O error)");
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      return Error(ErrorCode::kInvalidArgument, cause);
    default:
      return Error(ErrorCode::kInternal, cause);
  }
}

}  // namespace mcpkeep::store
