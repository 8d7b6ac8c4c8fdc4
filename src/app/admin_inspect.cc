// The admin commands that only read: check, stats, sessions, events (with
// --follow, a tail of a session as it is written) and export. They read the
// views people read with the sqlite3 CLI.
#include <signal.h>

#include <chrono>
#include <iostream>
#include <thread>

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <mcpkeep/error.h>
#include <mcpkeep/event_id.h>
#include <mcpkeep/store.h>

#include "app/admin.h"

namespace mcpkeep::app {

using nlohmann::ordered_json;

namespace {

const char kCheckUsage[] =
    "usage: mcpkeep check [--db PATH] [--json]\n"
    "\n"
    "Checks a database (also beside a running server): PRAGMA integrity_check, the\n"
    "schema version against this mcpkeep's, the WAL size. Exit code 0 when sound,\n"
    "1 when not (the output says what is wrong).\n";

const char kStatsUsage[] =
    "usage: mcpkeep stats [--db PATH] [--json]\n"
    "\n"
    "Sessions, streams by state, events, the oldest and newest event, file and WAL\n"
    "size, and the retention settings.\n";

const char kSessionsUsage[] =
    "usage: mcpkeep sessions [--db PATH] [--idle-over S] [--json]\n"
    "\n"
    "Sessions, idle longest first; --idle-over S lists only those idle more than S\n"
    "seconds.\n";

const char kEventsUsage[] =
    "usage: mcpkeep events SESSION [--db PATH] [--after EVENT_ID] [--follow] [--json]\n"
    "\n"
    "A session's events in order (after EVENT_ID's position, if given). --follow\n"
    "keeps printing events as they are written, like tail -f, until interrupted or\n"
    "the session ends.\n";

const char kExportUsage[] =
    "usage: mcpkeep export SESSION [--db PATH]\n"
    "\n"
    "A session as JSON lines: the session, then its streams, then its events, each\n"
    "a JSON object with \"type\": \"session\", \"stream\" or \"event\". JSON columns\n"
    "come as JSON, not as strings.\n";

// A JSON column as JSON (null stays null; text that does not parse stays text).
ordered_json jsonColumn(const SQLite::Column& column) {
  if (column.isNull()) return nullptr;
  ordered_json parsed = ordered_json::parse(column.getString(), nullptr, false);
  return parsed.is_discarded() ? ordered_json(column.getString()) : parsed;
}

ordered_json value(const SQLite::Column& column) {
  if (column.isNull()) return nullptr;
  if (column.isInteger()) return column.getInt64();
  if (column.isFloat()) return column.getDouble();
  return column.getString();
}

std::string scalar(SQLite::Database& db, const char* sql) {
  SQLite::Statement q(db, sql);
  return q.executeStep() && !q.getColumn(0).isNull() ? q.getColumn(0).getString() : std::string();
}

std::string requireSession(SQLite::Database& db, const AdminCommand& command) {
  if (command.settings().positional().size() != 1) throw Usage("give one SESSION id");
  const std::string id = command.settings().positional()[0];
  SQLite::Statement q(db, "SELECT 1 FROM sessions WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) throw Error(ErrorCode::kNotFound, "no session " + id + " in " + command.db());
  return id;
}

const char kEventColumns[] =
    "SELECT event_id, seq, stream_id, created, type, method, rpc_id, data FROM events_v "
    "WHERE session_id = ? AND seq > ? ORDER BY seq";

ordered_json eventRow(SQLite::Statement& q) {
  return {{"event_id", q.getColumn(0).getString()}, {"created", q.getColumn(3).getString()},
          {"type", q.getColumn(4).getString()},     {"method", value(q.getColumn(5))},
          {"rpc_id", jsonColumn(q.getColumn(6))},   {"data", jsonColumn(q.getColumn(7))}};
}

volatile sig_atomic_t interrupted = 0;

}  // namespace

int check(const std::vector<std::string>& args) {
  return runAdmin("check", kCheckUsage, args, {}, {}, [](const AdminCommand& command) {
    auto db = command.openReadOnly();
    std::vector<std::string> problems;
    int version = 0;  // meaningful only when problems is empty
    try {
      SQLite::Statement integrity(*db, "PRAGMA integrity_check(20)");
      while (integrity.executeStep()) {
        const std::string line = integrity.getColumn(0).getString();
        if (line != "ok") problems.push_back(line);
      }
      version = db->execAndGet("PRAGMA user_version").getInt();
    } catch (const SQLite::Exception& e) {
      problems.push_back(e.what());  // too damaged for the check to finish
    }
    const int known = Store::schemaVersion();
    const bool ok = problems.empty() && version <= known;
    const Store::FileSizes sizes = Store::fileSizes(command.db());
    ordered_json report = {{"file", command.db()},
                           {"ok", ok},
                           {"integrity", problems.empty() ? ordered_json("ok") : ordered_json(problems)},
                           {"schema_version", problems.empty() ? ordered_json(version) : ordered_json(nullptr)},
                           {"this_mcpkeep_schema_version", known},
                           {"file_bytes", sizes.database_bytes},
                           {"wal_bytes", sizes.wal_bytes}};
    if (!problems.empty()) {
      report["advice"] = "corrupt: restore it from a backup";
    } else if (version > known) {
      report["advice"] = "written by a newer mcpkeep: use that one";
    } else if (version < known) {
      report["advice"] = "older schema: `mcpkeep migrate` (or `serve`) upgrades it";
    }
    command.printObject(report);
    return ok ? 0 : 1;
  });
}

int stats(const std::vector<std::string>& args) {
  return runAdmin("stats", kStatsUsage, args, {}, {}, [](const AdminCommand& command) {
    auto db = command.openReadOnly();
    const Store::FileSizes sizes = Store::fileSizes(command.db());
    ordered_json report = {{"file", command.db()},
                           {"file_bytes", sizes.database_bytes},
                           {"wal_bytes", sizes.wal_bytes},
                           {"sessions", std::stoll(scalar(*db, "SELECT count(*) FROM sessions"))}};
    ordered_json streams = ordered_json::object();
    SQLite::Statement by_state(*db, "SELECT state, count(*) FROM streams GROUP BY state ORDER BY state");
    while (by_state.executeStep()) streams[by_state.getColumn(0).getString()] = by_state.getColumn(1).getInt64();
    report["streams"] = streams;
    report["events"] = std::stoll(scalar(*db, "SELECT count(*) FROM events"));
    report["event_bytes"] = std::stoll(scalar(*db, "SELECT CAST(total(length(data)) AS INTEGER) FROM events"));
    const std::string oldest = scalar(*db, "SELECT min(created) FROM events_v");
    const std::string newest = scalar(*db, "SELECT max(created) FROM events_v");
    report["oldest_event"] = oldest.empty() ? ordered_json(nullptr) : ordered_json(oldest);
    report["newest_event"] = newest.empty() ? ordered_json(nullptr) : ordered_json(newest);
    SQLite::Statement settings(*db, "SELECT name, value FROM settings ORDER BY name");
    while (settings.executeStep()) {
      report["retention_" + settings.getColumn(0).getString()] = settings.getColumn(1).getInt64();
    }
    command.printObject(report);
    return 0;
  });
}

int sessions(const std::vector<std::string>& args) {
  return runAdmin("sessions", kSessionsUsage, args, {"idle-over"}, {}, [](const AdminCommand& command) {
    const int64_t idle_over = command.settings().has("idle-over") ? command.settings().positive("idle-over") : 0;
    auto db = command.openReadOnly();
    SQLite::Statement q(*db,
                        "SELECT v.id, v.created, v.last_active, "
                        "(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) - s.last_active) / 1000 AS idle_seconds, "
                        "v.protocol_version, v.client_name, v.events "
                        "FROM sessions_v v JOIN sessions s ON s.id = v.id "
                        "WHERE idle_seconds >= ? ORDER BY s.last_active");
    q.bind(1, idle_over);
    std::vector<ordered_json> rows;
    while (q.executeStep()) {
      rows.push_back({{"id", q.getColumn(0).getString()}, {"created", q.getColumn(1).getString()},
                      {"last_active", q.getColumn(2).getString()}, {"idle_seconds", q.getColumn(3).getInt64()},
                      {"protocol", value(q.getColumn(4))}, {"client", value(q.getColumn(5))},
                      {"events", q.getColumn(6).getInt64()}});
    }
    command.printRows({"id", "created", "last_active", "idle_seconds", "protocol", "client", "events"}, rows);
    return 0;
  });
}

int events(const std::vector<std::string>& args) {
  return runAdmin("events", kEventsUsage, args, {"after"}, {"follow"}, [](const AdminCommand& command) {
    auto db = command.openReadOnly();
    const std::string session = requireSession(*db, command);
    int64_t after = 0;
    if (command.settings().has("after")) after = EventId::require(command.settings().get("after")).seq;
    const std::vector<std::string> columns = {"event_id", "created", "type", "method", "rpc_id", "data"};
    const auto read = [&] {
      std::vector<ordered_json> rows;
      SQLite::Statement q(*db, kEventColumns);
      q.bind(1, session);
      q.bind(2, after);
      while (q.executeStep()) {
        rows.push_back(eventRow(q));
        after = q.getColumn(1).getInt64();
      }
      return rows;
    };
    const auto rows = read();
    if (!command.settings().on("follow")) {
      command.printRows(columns, rows);
      return 0;
    }
    // Following: one event per line as they come (JSON lines with --json).
    const auto print = [&](const std::vector<ordered_json>& batch) {
      for (const auto& row : batch) {
        if (command.json()) {
          std::cout << row.dump() << "\n";
        } else {
          std::cout << row["event_id"].get<std::string>() << "  " << row["created"].get<std::string>() << "  "
                    << row["type"].get<std::string>() << "  " << row["data"].dump() << "\n";
        }
      }
      std::cout << std::flush;
    };
    print(rows);
    signal(SIGINT, [](int) { interrupted = 1; });
    signal(SIGTERM, [](int) { interrupted = 1; });
    SQLite::Statement alive(*db, "SELECT 1 FROM sessions WHERE id = ?");
    while (!interrupted) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      print(read());
      alive.bind(1, session);
      const bool exists = alive.executeStep();
      alive.reset();
      if (!exists) {
        std::cerr << "mcpkeep events: session " << session << " ended\n";
        return 0;
      }
    }
    return 0;
  });
}

int exportSession(const std::vector<std::string>& args) {
  return runAdmin("export", kExportUsage, args, {}, {}, [](const AdminCommand& command) {
    auto db = command.openReadOnly();
    const std::string session = requireSession(*db, command);
    // One snapshot for the three reads.
    SQLite::Transaction snapshot(*db, SQLite::TransactionBehavior::DEFERRED);
    SQLite::Statement s(*db,
                        "SELECT v.id, v.created, v.last_active, v.initialized, v.protocol_version, "
                        "s.client_info, s.client_capabilities, s.last_seq "
                        "FROM sessions_v v JOIN sessions s ON s.id = v.id WHERE v.id = ?");
    s.bind(1, session);
    s.executeStep();
    std::cout << ordered_json({{"type", "session"}, {"id", session}, {"created", value(s.getColumn(1))},
                               {"last_active", value(s.getColumn(2))}, {"initialized", s.getColumn(3).getInt() == 1},
                               {"protocol_version", value(s.getColumn(4))}, {"client_info", jsonColumn(s.getColumn(5))},
                               {"client_capabilities", jsonColumn(s.getColumn(6))}, {"last_seq", s.getColumn(7).getInt64()}})
                     .dump()
              << "\n";
    SQLite::Statement streams(*db,
                              "SELECT id, kind, request_ids, state, created, closed, evicted_through "
                              "FROM streams_v WHERE session_id = ? ORDER BY id");
    streams.bind(1, session);
    while (streams.executeStep()) {
      std::cout << ordered_json({{"type", "stream"}, {"id", streams.getColumn(0).getInt64()},
                                 {"kind", streams.getColumn(1).getString()}, {"request_ids", jsonColumn(streams.getColumn(2))},
                                 {"state", streams.getColumn(3).getString()}, {"created", value(streams.getColumn(4))},
                                 {"closed", value(streams.getColumn(5))}, {"evicted_through", streams.getColumn(6).getInt64()}})
                       .dump()
                << "\n";
    }
    SQLite::Statement events(*db, kEventColumns);
    events.bind(1, session);
    events.bind(2, 0);
    while (events.executeStep()) {
      ordered_json row = eventRow(events);
      ordered_json line = {{"type", "event"}};
      line["event_id"] = row["event_id"];
      line["stream"] = events.getColumn(2).getInt64();
      line["seq"] = events.getColumn(1).getInt64();
      line["event_type"] = row["type"];
      line["created"] = row["created"];
      line["data"] = row["data"];
      std::cout << line.dump() << "\n";
    }
    std::cout << std::flush;
    return 0;
  });
}

}  // namespace mcpkeep::app
