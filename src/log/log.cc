#include "log/log.h"

#include <mcpkeep/logging.h>

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Formatter.h>
#include <Poco/Logger.h>

#include <nlohmann/json.hpp>

namespace mcpkeep::log {
namespace {

// A message's fields travel as Poco message parameters; Poco cannot list
// them, so this one holds their names, in order, separated by spaces.
constexpr const char* kFieldNames = "mcpkeep.fields";

const char* levelName(Poco::Message::Priority p) {
  switch (p) {
    case Poco::Message::PRIO_FATAL: return "fatal";
    case Poco::Message::PRIO_CRITICAL: return "critical";
    case Poco::Message::PRIO_ERROR: return "error";
    case Poco::Message::PRIO_WARNING: return "warning";
    case Poco::Message::PRIO_NOTICE: return "notice";
    case Poco::Message::PRIO_INFORMATION: return "info";
    case Poco::Message::PRIO_DEBUG: return "debug";
    default: return "trace";
  }
}

std::vector<std::string> fieldNames(const Poco::Message& m) {
  std::vector<std::string> names;
  const std::string& all = m.get(kFieldNames, "");
  std::size_t start = 0;
  while (start < all.size()) {
    const auto space = all.find(' ', start);
    names.push_back(all.substr(start, space == std::string::npos ? std::string::npos : space - start));
    if (space == std::string::npos) break;
    start = space + 1;
  }
  return names;
}

std::string timeOf(const Poco::Message& m) {
  return Poco::DateTimeFormatter::format(m.getTime(), "%Y-%m-%dT%H:%M:%S.%iZ");
}

// time=... level=info logger=mcpkeep.http msg="session started" session=ab12
class TextFormatter : public Poco::Formatter {
 public:
  void format(const Poco::Message& m, std::string& text) override {
    text = "time=" + timeOf(m) + " level=" + levelName(m.getPriority()) + " logger=" + m.getSource() +
           " msg=" + quoted(m.getText());
    for (const std::string& name : fieldNames(m)) text += " " + name + "=" + quoted(m.get(name));
  }

 private:
  // Bare when it is one plain word, else a JSON string (escapes included).
  static std::string quoted(const std::string& value) {
    const bool bare = !value.empty() && value.find_first_of(" \"=\\\t\r\n") == std::string::npos &&
                      std::all_of(value.begin(), value.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
    return bare ? value : nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
};

// {"time":"...","level":"info","logger":"mcpkeep.http","msg":"...","session":"ab12"}
class JsonFormatter : public Poco::Formatter {
 public:
  void format(const Poco::Message& m, std::string& text) override {
    nlohmann::ordered_json line = {{"time", timeOf(m)},
                                   {"level", levelName(m.getPriority())},
                                   {"logger", m.getSource()},
                                   {"msg", m.getText()}};
    for (const std::string& name : fieldNames(m)) line[name] = m.get(name);
    text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
};

// Poco's lookup by name takes a global lock; its loggers live as long as
// the process, so each thread remembers what it found (names are literals).
Poco::Logger& loggerNamed(const char* name) {
  thread_local std::unordered_map<const char*, Poco::Logger*> found;
  Poco::Logger*& logger = found[name];
  if (logger == nullptr) logger = &Poco::Logger::get(name);
  return *logger;
}

}  // namespace

void configure(const std::string& level, Format format) {
  const std::string levels[] = {"fatal", "critical", "error", "warning", "notice", "info", "debug", "trace"};
  if (std::find(std::begin(levels), std::end(levels), level) == std::end(levels)) {
    throw std::invalid_argument("unknown log level '" + level +
                                "' (error, warning, notice, info, debug or trace)");
  }
  Poco::AutoPtr<Poco::Formatter> formatter;
  if (format == Format::kJson) {
    formatter = new JsonFormatter;
  } else {
    formatter = new TextFormatter;
  }
  Poco::AutoPtr<Poco::Channel> console(new Poco::ConsoleChannel);  // std::clog: stderr
  Poco::AutoPtr<Poco::Channel> channel(new Poco::FormattingChannel(formatter, console));
  // For "mcpkeep" and every logger under it made so far; later ones take
  // their parent's settings when made.
  Poco::Logger::get("mcpkeep");
  Poco::Logger::setChannel("mcpkeep", channel);
  Poco::Logger::setLevel("mcpkeep", Poco::Logger::parseLevel(level == "info" ? "information" : level));
}

bool enabled(const char* logger, Poco::Message::Priority priority) {
  return loggerNamed(logger).is(priority);
}

void write(const char* logger, Poco::Message::Priority priority, const std::string& event,
           std::initializer_list<Field> fields) {
  Poco::Logger& l = loggerNamed(logger);
  if (!l.is(priority)) return;
  Poco::Message message(logger, event, priority);
  std::string names;
  for (const auto& [name, value] : fields) {
    message.set(name, value);
    names += (names.empty() ? "" : " ") + std::string(name);
  }
  message.set(kFieldNames, names);
  l.log(message);
}

}  // namespace mcpkeep::log

namespace mcpkeep {

void logToStderr(const std::string& level, bool json) {
  log::configure(level, json ? log::Format::kJson : log::Format::kText);
}

}  // namespace mcpkeep
