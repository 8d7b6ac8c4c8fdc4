// Every query of README.md's sqlite3 cookbook runs with the sqlite3 CLI
// against a populated database and answers with rows.
#include <catch2/catch.hpp>

#include <regex>

#include <mcpkeep/mcp_server.h>
#include <mcpkeep/mcpkeep.h>

#include "helpers/backends.h"
#include "helpers/temp_dir.h"

namespace {

// The ```sql blocks of the README section whose heading contains `heading`.
std::vector<std::string> sqlBlocksOfSection(const std::string& markdown, const std::string& heading) {
  const auto start = markdown.find(heading);
  if (start == std::string::npos) return {};
  auto end = markdown.find("\n## ", start + heading.size());
  const std::string section = markdown.substr(start, end == std::string::npos ? end : end - start);
  std::vector<std::string> blocks;
  const std::regex block("```sql\n([\\s\\S]*?)```");
  for (std::sregex_iterator it(section.begin(), section.end(), block), last; it != last; ++it) {
    blocks.push_back((*it)[1].str());
  }
  return blocks;
}

// Fills `db` with what the cookbook's queries look at: two sessions (one
// initialized, subscribed to a resource), a completed request stream with
// progress, a finished task, and a stream a server left open that the next
// one interrupts. Returns the session and the task ids.
std::pair<std::string, std::string> populate(const std::string& path) {
  std::string session, task_id;
  {
    mcpkeep::Store store(path, mcpkeep::test::testOptions());
    session = store.createSession().id;
    store.markInitialized(session, "2025-11-25", R"({"sampling":{}})",
                          R"({"name":"cookbook-client","version":"1.0"})");
    store.createSession();
    store.subscribeResource(session, "docs://readme");
    const auto done = store.openRequestStream(session, "[1]");
    store.append(session, done, "message",
                 R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":1}})");
    store.append(session, done, "message", R"({"jsonrpc":"2.0","id":1,"result":{}})");
    store.closeStream(session, done);
    const mcpkeep::Task task = store.createTask(R"({"name":"report","arguments":{}})", std::chrono::hours(1),
                                                std::chrono::seconds(1));
    store.finishTask(task.id, mcpkeep::TaskStatus::kCompleted, R"({"content":[{"type":"text","text":"done"}]})");
    task_id = task.id;
    const auto running = store.openRequestStream(session, "[2]");
    store.append(session, running, "message",
                 R"({"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info"}})");
  }
  {  // the next server interrupts `running`
    mcpkeep::Store reopened(path, mcpkeep::test::testOptions());
    mcpkeep::Hub hub(reopened);
    mcpkeep::McpServer server(hub);
  }
  return {session, task_id};
}

}  // namespace

TEST_CASE("every query of the README's sqlite3 cookbook runs and returns rows") {
  mcpkeep::test::TempDir dir;
  const auto path = dir.file("cookbook.db");
  const auto [session, task_id] = populate(path);
  const auto blocks =
      sqlBlocksOfSection(mcpkeep::test::readFile(MCPKEEP_SOURCE_DIR "/README.md"), "sqlite3 cookbook");
  REQUIRE(blocks.size() >= 6);
  for (const auto& sql : blocks) {
    INFO("query:\n" << sql);
    const auto result =
        mcpkeep::test::runSqlite3(path, ".parameter set :session '" + session + "'\n.parameter set :task '" +
                                            task_id + "'\n" + sql);
    INFO("output:\n" << result.output);
    CHECK(result.exit_code == 0);
    CHECK(result.output.find("Error") == std::string::npos);
    CHECK_FALSE(result.output.empty());
  }
}

TEST_CASE("every query of the README's psql cookbook runs and returns rows", "[postgres]") {
  const std::string db = mcpkeep::test::newPostgresDatabase();
  const auto [session, task_id] = populate(db);
  mcpkeep::Store live(db, mcpkeep::test::testOptions());  // a replica in replicas_v
  const auto blocks =
      sqlBlocksOfSection(mcpkeep::test::readFile(MCPKEEP_SOURCE_DIR "/README.md"), "psql cookbook");
  REQUIRE(blocks.size() >= 6);
  for (const auto& sql : blocks) {
    INFO("query:\n" << sql);
    const auto result =
        mcpkeep::test::runSql(db, "\\set session '" + session + "'\n\\set task '" + task_id + "'\n" + sql);
    INFO("output:\n" << result.output);
    CHECK(result.exit_code == 0);
    CHECK(result.output.find("ERROR") == std::string::npos);
    CHECK_FALSE(result.output.empty());
  }
}
