// Tasks (migrations/0008_tasks.sql): rows a tool call's work outlives its
// response in. Every change is one write transaction; reads see committed
// rows only, so a task is durable before its id is given to anyone.
#include <nlohmann/json.hpp>

#include "store/session_id.h"
#include "store/sqlite/sqlite_store.h"
#include "store/unix_time.h"

namespace mcpkeep::store {

using nlohmann::json;
using store::Connection;

namespace {

constexpr const char* kTaskColumns =
    "id, status, status_message, created_at, updated_at, ttl_ms, poll_interval_ms, request, input_requests, "
    "input_responses, result, error";
constexpr const char* kUnfinished = "status IN ('working', 'input_required')";

TaskStatus parseStatus(const std::string& name) {
  for (TaskStatus s : {TaskStatus::kWorking, TaskStatus::kInputRequired, TaskStatus::kCompleted,
                       TaskStatus::kFailed, TaskStatus::kCancelled}) {
    if (name == taskStatusName(s)) return s;
  }
  throw Error(ErrorCode::kCorrupt, "a task has the unknown status '" + name + "'");
}

Task readTask(SQLite::Statement& q) {
  Task t;
  t.id = q.getColumn(0).getString();
  t.status = parseStatus(q.getColumn(1).getString());
  t.status_message = q.getColumn(2).isNull() ? "" : q.getColumn(2).getString();
  t.created_at = store::fromUnixMillis(q.getColumn(3).getInt64());
  t.updated_at = store::fromUnixMillis(q.getColumn(4).getInt64());
  if (!q.getColumn(5).isNull()) t.ttl = std::chrono::milliseconds(q.getColumn(5).getInt64());
  t.poll_interval = std::chrono::milliseconds(q.getColumn(6).getInt64());
  t.request = q.getColumn(7).getString();
  t.input_requests = q.getColumn(8).getString();
  t.input_responses = q.getColumn(9).getString();
  if (!q.getColumn(10).isNull()) t.result = q.getColumn(10).getString();
  if (!q.getColumn(11).isNull()) t.error = q.getColumn(11).getString();
  return t;
}

// The task's row in a write transaction, unless it is gone or expired.
std::optional<Task> lockedTask(Connection& c, const std::string& id, int64_t now) {
  auto q = c.query(std::string("SELECT ") + kTaskColumns +
                   " FROM tasks WHERE id = ? AND (ttl_ms IS NULL OR created_at + ttl_ms >= ?)");
  q->bind(1, id);
  q->bind(2, now);
  if (!q->executeStep()) return std::nullopt;
  return readTask(*q);
}

void writeInputs(Connection& c, const std::string& id, TaskStatus status, const json& requests,
                 const json& responses, int64_t now) {
  auto q = c.query("UPDATE tasks SET status = ?, input_requests = ?, input_responses = ?, updated_at = ? WHERE id = ?");
  q->bind(1, taskStatusName(status));
  q->bind(2, requests.dump());
  q->bind(3, responses.dump());
  q->bind(4, now);
  q->bind(5, id);
  q->exec();
}

}  // namespace

Task SqliteStore::createTask(const std::string& request, std::optional<std::chrono::milliseconds> ttl,
                       std::chrono::milliseconds poll_interval) {
  Task t;
  t.id = store::newSessionId();
  t.created_at = t.updated_at = store::fromUnixMillis(store::toUnixMillis(now()));
  t.ttl = ttl;
  t.poll_interval = poll_interval;
  t.request = request;
  t.input_requests = t.input_responses = "{}";
  writer->write([&](Connection& c) {
    auto q = c.query(
        "INSERT INTO tasks (id, status, created_at, updated_at, ttl_ms, poll_interval_ms, request) "
        "VALUES (?, 'working', ?, ?, ?, ?, ?)");
    q->bind(1, t.id);
    q->bind(2, store::toUnixMillis(t.created_at));
    q->bind(3, store::toUnixMillis(t.updated_at));
    if (ttl) {
      q->bind(4, static_cast<int64_t>(ttl->count()));
    } else {
      q->bind(4);
    }
    q->bind(5, static_cast<int64_t>(poll_interval.count()));
    q->bind(6, request);
    q->exec();
  });
  return t;
}

std::optional<Task> SqliteStore::task(const std::string& task_id) const {
  return read("reading task " + task_id, [&](Connection& c) {
    return lockedTask(c, task_id, store::toUnixMillis(now()));
  });
}

std::vector<Task> SqliteStore::unfinishedTasks() const {
  return read("listing unfinished tasks", [&](Connection& c) {
    std::vector<Task> all;
    auto q = c.query(std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE " + kUnfinished +
                     " ORDER BY created_at, id");
    while (q->executeStep()) all.push_back(readTask(*q));
    return all;
  });
}

bool SqliteStore::askTaskInput(const std::string& task_id, const std::string& requests) {
  bool asked = false;
  writer->write([&](Connection& c) {
    const int64_t now = toUnixMillis(this->now());
    const std::optional<Task> t = lockedTask(c, task_id, now);
    if (!t || t->finished()) return;
    json pending = json::parse(t->input_requests);
    const json added = json::parse(requests);
    for (const auto& [key, request] : added.items()) pending[key] = request;
    writeInputs(c, task_id, TaskStatus::kInputRequired, pending, json::parse(t->input_responses), now);
    asked = true;
  });
  return asked;
}

bool SqliteStore::answerTaskInput(const std::string& task_id, const std::string& responses) {
  bool known = false;
  writer->write([&](Connection& c) {
    const int64_t now = toUnixMillis(this->now());
    const std::optional<Task> t = lockedTask(c, task_id, now);
    if (!t) return;
    known = true;
    if (t->finished()) return;
    json pending = json::parse(t->input_requests);
    json answered = json::parse(t->input_responses);
    bool changed = false;
    const json given = json::parse(responses);
    for (const auto& [key, response] : given.items()) {
      if (!pending.contains(key)) continue;  // never asked, or answered already
      answered[key] = response;
      pending.erase(key);
      changed = true;
    }
    if (!changed) return;
    writeInputs(c, task_id, pending.empty() ? TaskStatus::kWorking : TaskStatus::kInputRequired, pending, answered,
                now);
  });
  return known;
}

bool SqliteStore::finishTask(const std::string& task_id, TaskStatus status, const std::string& payload,
                       const std::string& status_message) {
  if (status != TaskStatus::kCompleted && status != TaskStatus::kFailed) {
    throw std::invalid_argument("finishTask takes completed or failed");
  }
  int changed = 0;
  writer->write([&](Connection& c) {
    auto q = c.query(std::string("UPDATE tasks SET status = ?, result = ?, error = ?, input_requests = '{}', "
                                 "status_message = ?, updated_at = ? WHERE id = ? AND ") +
                     kUnfinished);
    q->bind(1, taskStatusName(status));
    if (status == TaskStatus::kCompleted) {
      q->bind(2, payload);
      q->bind(3);
    } else {
      q->bind(2);
      q->bind(3, payload);
    }
    if (status_message.empty()) {
      q->bind(4);
    } else {
      q->bind(4, status_message);
    }
    q->bind(5, store::toUnixMillis(now()));
    q->bind(6, task_id);
    changed = q->exec();
  });
  return changed > 0;
}

bool SqliteStore::cancelTask(const std::string& task_id) {
  bool known = false;
  writer->write([&](Connection& c) {
    const int64_t now = toUnixMillis(this->now());
    if (!lockedTask(c, task_id, now)) return;
    known = true;
    auto q = c.query(std::string("UPDATE tasks SET status = 'cancelled', input_requests = '{}', "
                                 "status_message = 'cancelled by the client', updated_at = ? WHERE id = ? AND ") +
                     kUnfinished);
    q->bind(1, now);
    q->bind(2, task_id);
    q->exec();
  });
  return known;
}

void SqliteStore::setTaskStatusMessage(const std::string& task_id, const std::string& message) {
  writer->write([&](Connection& c) {
    auto q = c.query(std::string("UPDATE tasks SET status_message = ?, updated_at = ? WHERE id = ? AND ") + kUnfinished);
    q->bind(1, message);
    q->bind(2, store::toUnixMillis(now()));
    q->bind(3, task_id);
    q->exec();
  });
}

}  // namespace mcpkeep::store
