// Benchmark: the library against a raw SQLite C loop on the same schema and
// pragmas, side by side in one run (these machines are noisy). Prints
// appends/s (1 thread; 8 threads), replay rows/s, and library/raw ratios.
//
//   mcpkeep_bench [--quick]
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <mcpkeep/mcpkeep.h>

namespace {

using Clock = std::chrono::steady_clock;

const char kAppendSql[] =
    "INSERT INTO events (session_id, stream_id, seq, type, data, created_at) "
    "SELECT id, ?, last_seq + 1, 'message', ?, ? FROM sessions WHERE id = ? RETURNING seq";
const char kReplaySql[] =
    "SELECT session_id, stream_id, seq, type, data, created_at FROM events "
    "WHERE stream_id = ? AND seq > ? ORDER BY seq";
const std::string kData =
    R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"abc","progress":50,"total":100,"message":"working on it"}})";

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

// A raw connection configured as the library configures its writer.
sqlite3* openRaw(const std::string& path, mcpkeep::Durability durability) {
  sqlite3* db = nullptr;
  check(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr),
        db, "open");
  sqlite3_busy_timeout(db, 10000);
  const std::string pragmas = std::string("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; ") +
                              (durability == mcpkeep::Durability::kFull ? "PRAGMA synchronous=FULL"
                                                                        : "PRAGMA synchronous=NORMAL");
  check(sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, nullptr), db, "pragmas");
  return db;
}

// Raw appends, one autocommit INSERT per event (or `batch` per transaction).
void rawAppends(sqlite3* db, const std::string& session, int64_t stream, int count, int batch) {
  sqlite3_stmt* insert = nullptr;
  check(sqlite3_prepare_v2(db, kAppendSql, -1, &insert, nullptr), db, "prepare");
  for (int i = 0; i < count; ++i) {
    if (batch > 1 && i % batch == 0) check(sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0), db, "begin");
    sqlite3_bind_int64(insert, 1, stream);
    sqlite3_bind_text(insert, 2, kData.data(), static_cast<int>(kData.size()), SQLITE_STATIC);
    sqlite3_bind_int64(insert, 3, 1700000000000 + i);
    sqlite3_bind_text(insert, 4, session.data(), static_cast<int>(session.size()), SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(insert)) == SQLITE_ROW) {
    }
    check(rc, db, "insert");
    sqlite3_reset(insert);
    if (batch > 1 && (i % batch == batch - 1 || i == count - 1)) {
      check(sqlite3_exec(db, "COMMIT", 0, 0, 0), db, "commit");
    }
  }
  sqlite3_finalize(insert);
}

// What a C API user keeps of each replayed row (the library's Event adds the
// formatted id and checks the stream first).
struct RawEvent {
  std::string session_id;
  int64_t stream_id, seq;
  std::string type, data;
  int64_t created_at;
};

int64_t rawReplay(sqlite3* db, int64_t stream) {
  sqlite3_stmt* q = nullptr;
  check(sqlite3_prepare_v2(db, kReplaySql, -1, &q, nullptr), db, "prepare");
  sqlite3_bind_int64(q, 1, stream);
  sqlite3_bind_int64(q, 2, 0);
  std::vector<RawEvent> rows;
  const auto text = [q](int column) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, column)),
                       static_cast<std::size_t>(sqlite3_column_bytes(q, column)));
  };
  while (sqlite3_step(q) == SQLITE_ROW) {
    rows.push_back({text(0), sqlite3_column_int64(q, 1), sqlite3_column_int64(q, 2), text(3),
                    text(4), sqlite3_column_int64(q, 5)});
  }
  sqlite3_finalize(q);
  return static_cast<int64_t>(rows.size());
}

struct Row {
  std::string what;
  double library;
  double raw;
  const char* raw_label;
};

void print(const std::vector<Row>& rows) {
  std::printf("\n%-44s %14s %14s %8s  %s\n", "operation", "library", "raw SQLite", "ratio",
              "raw baseline");
  for (const auto& r : rows) {
    std::printf("%-44s %12.0f/s %12.0f/s %7.2fx  %s\n", r.what.c_str(), r.library, r.raw,
                r.library / r.raw, r.raw_label);
  }
}

// Runs `per_thread` on `threads` threads and returns events/s.
double parallel(int threads, int per_thread_count, const std::function<void(int)>& per_thread) {
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(per_thread, t);
  for (auto& t : pool) t.join();
  return threads * per_thread_count / secondsSince(start);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int n_normal = quick ? 2000 : 20000;
  const int n_full = quick ? 300 : 3000;
  const int kThreads = 8;
  char dir_template[] = "/tmp/mcpkeep-bench-XXXXXX";
  const std::string dir = ::mkdtemp(dir_template);
  std::printf("mcpkeep benchmark in %s (%s), event data %zu bytes\n", dir.c_str(),
              quick ? "quick" : "full", kData.size());

  std::vector<Row> rows;
  int file_no = 0;
  for (auto durability : {mcpkeep::Durability::kNormal, mcpkeep::Durability::kFull}) {
    const char* mode = durability == mcpkeep::Durability::kFull ? "FULL" : "NORMAL";
    const int n = durability == mcpkeep::Durability::kFull ? n_full : n_normal;
    mcpkeep::StoreOptions options;
    options.durability = durability;
    options.maintenance_interval = std::chrono::milliseconds(0);
    options.retention = mcpkeep::Retention().withMaxEvents(1'000'000'000);

    // Library and raw each write a file of their own, with the same schema.
    const std::string lib_path = dir + "/lib" + std::to_string(++file_no) + ".db";
    const std::string raw_path = dir + "/raw" + std::to_string(file_no) + ".db";
    mcpkeep::Store lib(lib_path, options);
    mcpkeep::Store raw_store(raw_path, options);  // creates the schema, then stays idle

    // One thread.
    auto s = lib.createSession().id;
    auto stream = lib.openRequestStream(s, "[1]");
    auto start = Clock::now();
    for (int i = 0; i < n; ++i) lib.append(s, stream, "message", kData);
    const double lib_one = n / secondsSince(start);

    auto rs = raw_store.createSession().id;
    auto rstream = raw_store.openRequestStream(rs, "[1]");
    sqlite3* raw = openRaw(raw_path, durability);
    start = Clock::now();
    rawAppends(raw, rs, rstream, n, 1);
    const double raw_one = n / secondsSince(start);
    rows.push_back({std::string("append, 1 thread, ") + mode, lib_one, raw_one,
                    "1 commit per event"});

    // Concurrent writers, a session each, as a server with many clients has.
    const auto libParallel = [&](int threads) {
      std::vector<std::pair<std::string, mcpkeep::StreamId>> targets;
      for (int t = 0; t < threads; ++t) {
        auto a = lib.createSession().id;
        targets.emplace_back(a, lib.openRequestStream(a, "[1]"));
      }
      const int per_thread = std::max(1, n / threads);
      return parallel(threads, per_thread, [&](int t) {
        for (int i = 0; i < per_thread; ++i) {
          lib.append(targets[t].first, targets[t].second, "message", kData);
        }
      });
    };
    std::vector<std::pair<std::string, mcpkeep::StreamId>> raw_targets;
    for (int t = 0; t < kThreads; ++t) {
      auto b = raw_store.createSession().id;
      raw_targets.emplace_back(b, raw_store.openRequestStream(b, "[1]"));
    }
    const int per_thread = n / kThreads;
    const double lib_eight = libParallel(kThreads);
    const double raw_eight = parallel(kThreads, per_thread, [&](int t) {
      sqlite3* db = openRaw(raw_path, durability);
      rawAppends(db, raw_targets[t].first, raw_targets[t].second, per_thread, 1);
      sqlite3_close(db);
    });
    rows.push_back({std::string("append, 8 threads, ") + mode, lib_eight, raw_eight,
                    "8 connections, 1 commit per event"});
    for (int threads : {2, 4, 8, 64}) {
      const double rate = threads == kThreads ? lib_eight : libParallel(threads);
      rows.push_back({"append, " + std::to_string(threads) + " threads, " + mode +
                          " vs raw 1 thread",
                      rate, raw_one, "1 thread, 1 commit per event"});
    }

    start = Clock::now();
    rawAppends(raw, rs, rstream, n, 100);
    const double raw_batched = n / secondsSince(start);
    rows.push_back({std::string("append, 8 threads, ") + mode + " vs raw batched", lib_eight,
                    raw_batched, "1 thread, 100 events per commit"});

    if (durability == mcpkeep::Durability::kNormal) {
      // Replay: the whole 1-thread stream, several times.
      const int repeats = quick ? 3 : 10;
      int64_t lib_rows = 0, raw_rows = 0;
      start = Clock::now();
      for (int r = 0; r < repeats; ++r) {
        lib_rows += static_cast<int64_t>(lib.eventsAfter(s, mcpkeep::EventId{stream, 0}).events.size());
      }
      const double lib_replay = lib_rows / secondsSince(start);
      start = Clock::now();
      for (int r = 0; r < repeats; ++r) raw_rows += rawReplay(raw, rstream);
      const double raw_replay = raw_rows / secondsSince(start);
      rows.push_back({"replay rows, 1 reader", lib_replay, raw_replay, "SELECT loop, same query"});
    }
    sqlite3_close(raw);
    const auto stats = lib.writeStats();
    std::printf("%s: library group commit put %lld writes in %lld commits (%.1f per commit)\n", mode,
                static_cast<long long>(stats.writes), static_cast<long long>(stats.commits),
                static_cast<double>(stats.writes) / static_cast<double>(stats.commits));
  }
  print(rows);
  std::filesystem::remove_all(dir);
  return 0;
}
