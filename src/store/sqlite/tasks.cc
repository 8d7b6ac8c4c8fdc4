// Tasks (migrations/0008_tasks.sql): rows a tool call's work outlives its
// response in. Every change is one write transaction; reads see committed
// rows only, so a task is durable before its id is given to anyone.
#include "store/session_id.h"
#include "store/sqlite/sqlite_store.h"
#include "store/task_rows.h"
#include "store/unix_time.h"

namespace mcpkeep::store {

using store::Connection;

namespace {

Task readTask(SQLite::Statement& q) {
  Task t;
  t.id = q.getColumn(0).getString();
  t.status = parseTaskStatus(q.getColumn(1).getString());
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

void writeInputs(Connection& c, const std::string& id, const TaskInputs& inputs, int64_t now) {
  auto q = c.query("UPDATE tasks SET status = ?, input_requests = ?, input_responses = ?, updated_at = ? WHERE id = ?");
  q->bind(1, taskStatusName(inputs.status));
  q->bind(2, inputs.requests);
  q->bind(3, inputs.responses);
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
        "INSERT INTO tasks (id, status, created_at, updated_at, ttl_ms, poll_interval_ms, request, owner) "
        "VALUES (?, 'working', ?, ?, ?, ?, ?, ?)");
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
    q->bind(7, replica_id);
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
    auto q = c.query(std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE " + kUnfinishedTask +
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
    writeInputs(c, task_id, withRequests(*t, requests), now);
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
    if (const std::optional<TaskInputs> inputs = withResponses(*t, responses)) {
      writeInputs(c, task_id, *inputs, now);
    }
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
                     kUnfinishedTask);
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
                     kUnfinishedTask);
    q->bind(1, now);
    q->bind(2, task_id);
    q->exec();
  });
  return known;
}

void SqliteStore::setTaskStatusMessage(const std::string& task_id, const std::string& message) {
  writer->write([&](Connection& c) {
    auto q = c.query(std::string("UPDATE tasks SET status_message = ?, updated_at = ? WHERE id = ? AND ") + kUnfinishedTask);
    q->bind(1, message);
    q->bind(2, store::toUnixMillis(now()));
    q->bind(3, task_id);
    q->exec();
  });
}

std::vector<Task> SqliteStore::claimOrphanedTasks(bool others_dead) {
  std::vector<Task> claimed;
  const int64_t now = toUnixMillis(this->now());
  writer->write([&](Connection& c) {
    claimed.clear();  // a retried write must not report twice
    auto q = c.query(std::string("UPDATE tasks SET owner = ?1 WHERE ") + kUnfinishedTask +
                     " AND (owner IS NULL OR (owner <> ?1 AND (?2 OR NOT EXISTS "
                     "(SELECT 1 FROM replicas r WHERE r.id = tasks.owner AND r.lease_until > ?3)))) "
                     "RETURNING " + kTaskColumns);
    q->bind(1, replica_id);
    q->bind(2, others_dead ? 1 : 0);
    q->bind(3, now);
    while (q->executeStep()) claimed.push_back(readTask(*q));
  });
  return claimed;
}

}  // namespace mcpkeep::store
