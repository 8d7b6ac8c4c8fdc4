// mcpkeep::log: one line per event worth knowing, through Poco's logging
// framework (loggers "mcpkeep.http", "mcpkeep.store", "mcpkeep.serve"), with
// fields as key/value pairs. configure() picks the level and the line format
// (key=value text or JSON lines) and writes to stderr; an embedding
// application may instead attach its own Poco channel to the "mcpkeep"
// logger. Never pass a token or a message body as a field.
//
// Thread safety: Poco's loggers are thread-safe; configure() once at start.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include <Poco/Message.h>

namespace mcpkeep::log {

using Field = std::pair<const char*, std::string>;

enum class Format { kText, kJson };

// Sets the level ("error", "warning", "notice", "info", "debug", "trace") and
// format of every "mcpkeep" logger; lines go to stderr. Throws
// std::invalid_argument for an unknown level.
void configure(const std::string& level, Format format);

// Whether `logger` writes lines of `priority`: lets a hot path skip
// building fields for a line no one will see.
bool enabled(const char* logger, Poco::Message::Priority priority);

// Logs `event` (a short fixed phrase, e.g. "session started") with fields.
void write(const char* logger, Poco::Message::Priority priority, const std::string& event,
           std::initializer_list<Field> fields = {});

inline void info(const char* logger, const std::string& event, std::initializer_list<Field> fields = {}) {
  write(logger, Poco::Message::PRIO_INFORMATION, event, fields);
}
inline void warning(const char* logger, const std::string& event, std::initializer_list<Field> fields = {}) {
  write(logger, Poco::Message::PRIO_WARNING, event, fields);
}
inline void error(const char* logger, const std::string& event, std::initializer_list<Field> fields = {}) {
  write(logger, Poco::Message::PRIO_ERROR, event, fields);
}
inline void debug(const char* logger, const std::string& event, std::initializer_list<Field> fields = {}) {
  write(logger, Poco::Message::PRIO_DEBUG, event, fields);
}

}  // namespace mcpkeep::log
