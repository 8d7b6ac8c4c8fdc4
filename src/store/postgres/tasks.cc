// PostgresStore methods for tasks (the tasks table of
// migrations/postgres/0001_store.sql). A change reads the row FOR UPDATE, so
// replicas answering and cancelling one task take turns.
#include "store/postgres/pg_rows.h"
#include "store/postgres/postgres_store.h"
#include "store/session_id.h"
#include "store/task_rows.h"
#include "store/unix_time.h"

namespace mcpkeep::store {
namespace {

// The task's row, unless it is gone or expired; `lock`: FOR UPDATE.
std::optional<Task> findTask(PgConnection& c, const std::string& id, int64_t now, bool lock) {
  const PgResult r = c.query(std::string("SELECT ") + kTaskColumns +
                                 " FROM tasks WHERE id = $1 AND (ttl_ms IS NULL OR created_at + ttl_ms >= $2)" +
                                 (lock ? " FOR UPDATE" : ""),
                             {id, now});
  if (r.rows() == 0) return std::nullopt;
  return readTask(r, 0);
}

void writeInputs(PgConnection& c, const std::string& id, const TaskInputs& inputs, int64_t now) {
  c.query("UPDATE tasks SET status = $1, input_requests = $2, input_responses = $3, updated_at = $4 WHERE id = $5",
          {taskStatusName(inputs.status), inputs.requests, inputs.responses, now, id});
}

}  // namespace

Task PostgresStore::createTask(const std::string& request, std::optional<std::chrono::milliseconds> ttl,
                               std::chrono::milliseconds poll_interval) {
  Task t;
  t.id = newSessionId();
  const int64_t now = nowMillis();
  t.created_at = t.updated_at = fromUnixMillis(now);
  t.ttl = ttl;
  t.poll_interval = poll_interval;
  t.request = request;
  t.input_requests = t.input_responses = "{}";
  write([&](PgConnection& c) {
    c.query("INSERT INTO tasks (id, status, created_at, updated_at, ttl_ms, poll_interval_ms, request, owner) "
            "VALUES ($1, 'working', $2, $2, $3, $4, $5, $6)",
            {t.id, now, ttl ? PgParam(static_cast<int64_t>(ttl->count())) : PgParam(std::nullopt),
             static_cast<int64_t>(poll_interval.count()), request, replica_id_});
  });
  return t;
}

std::optional<Task> PostgresStore::task(const std::string& task_id) const {
  return read("reading task " + task_id,
              [&](PgConnection& c) { return findTask(c, task_id, nowMillis(), false); });
}

std::vector<Task> PostgresStore::unfinishedTasks() const {
  return read("listing unfinished tasks", [&](PgConnection& c) {
    const PgResult r = c.query(std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE " +
                               kUnfinishedTask + " ORDER BY created_at, id");
    std::vector<Task> all;
    for (int i = 0; i < r.rows(); ++i) all.push_back(readTask(r, i));
    return all;
  });
}

bool PostgresStore::askTaskInput(const std::string& task_id, const std::string& requests) {
  bool asked = false;
  write([&](PgConnection& c) {
    const int64_t now = nowMillis();
    const std::optional<Task> t = findTask(c, task_id, now, true);
    asked = t && !t->finished();
    if (asked) writeInputs(c, task_id, withRequests(*t, requests), now);
  });
  return asked;
}

bool PostgresStore::answerTaskInput(const std::string& task_id, const std::string& responses) {
  bool known = false;
  write([&](PgConnection& c) {
    const int64_t now = nowMillis();
    const std::optional<Task> t = findTask(c, task_id, now, true);
    known = t.has_value();
    if (!t || t->finished()) return;
    if (const std::optional<TaskInputs> inputs = withResponses(*t, responses)) {
      writeInputs(c, task_id, *inputs, now);
    }
  });
  return known;
}

bool PostgresStore::finishTask(const std::string& task_id, TaskStatus status, const std::string& payload,
                               const std::string& status_message) {
  if (status != TaskStatus::kCompleted && status != TaskStatus::kFailed) {
    throw std::invalid_argument("finishTask takes completed or failed");
  }
  const bool completed = status == TaskStatus::kCompleted;
  int64_t changed = 0;
  write([&](PgConnection& c) {
    changed = c.query(std::string("UPDATE tasks SET status = $1, result = $2, error = $3, input_requests = '{}', "
                                  "status_message = $4, updated_at = $5 WHERE id = $6 AND ") +
                          kUnfinishedTask,
                      {taskStatusName(status), completed ? PgParam(payload) : PgParam(std::nullopt),
                       completed ? PgParam(std::nullopt) : PgParam(payload),
                       status_message.empty() ? PgParam(std::nullopt) : PgParam(status_message),
                       nowMillis(), task_id})
                  .affected();
  });
  return changed > 0;
}

bool PostgresStore::cancelTask(const std::string& task_id) {
  bool known = false;
  write([&](PgConnection& c) {
    const int64_t now = nowMillis();
    known = findTask(c, task_id, now, true).has_value();
    if (!known) return;
    c.query(std::string("UPDATE tasks SET status = 'cancelled', input_requests = '{}', "
                        "status_message = 'cancelled by the client', updated_at = $1 WHERE id = $2 AND ") +
                kUnfinishedTask,
            {now, task_id});
  });
  return known;
}

void PostgresStore::setTaskStatusMessage(const std::string& task_id, const std::string& message) {
  write([&](PgConnection& c) {
    c.query(std::string("UPDATE tasks SET status_message = $1, updated_at = $2 WHERE id = $3 AND ") +
                kUnfinishedTask,
            {message, nowMillis(), task_id});
  });
}

std::vector<Task> PostgresStore::claimOrphanedTasks(bool others_dead) {
  std::vector<Task> claimed;
  write([&](PgConnection& c) {
    claimed.clear();  // a retried write must not report twice
    const PgResult r = c.query(
        std::string("UPDATE tasks SET owner = $1 WHERE id IN (SELECT id FROM tasks WHERE ") + kUnfinishedTask +
            " AND (owner IS NULL OR (owner <> $1 AND ($2 OR NOT EXISTS "
            "(SELECT 1 FROM replicas r WHERE r.id = tasks.owner AND r.lease_until > now_ms())))) "
            "FOR UPDATE SKIP LOCKED) RETURNING " + kTaskColumns,
        {replica_id_, others_dead});
    for (int i = 0; i < r.rows(); ++i) claimed.push_back(readTask(r, i));
  });
  return claimed;
}

}  // namespace mcpkeep::store
