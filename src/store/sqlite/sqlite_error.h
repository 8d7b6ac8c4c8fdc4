// Turns SQLite's errors into mcpkeep::Error, so SQLite::Exception never
// crosses the public API.
#pragma once

#include <string>

#include <SQLiteCpp/Exception.h>

#include <mcpkeep/error.h>

namespace mcpkeep::store {

// The mcpkeep error for an SQLite result code; `context` says what was being
// done to which file, e.g. "appending to session 3fa... in /srv/mcpkeep.db".
Error translateSqliteError(int extended_code, const std::string& sqlite_message,
                           const std::string& context);

inline Error translateSqliteError(const SQLite::Exception& e, const std::string& context) {
  return translateSqliteError(e.getExtendedErrorCode(), e.what(), context);
}

}  // namespace mcpkeep::store
