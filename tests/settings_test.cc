// `mcpkeep` settings: a config file, under environment variables, under
// flags; unknown names and bad values are refused naming them.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "app/settings.h"
#include "helpers/temp_dir.h"

using mcpkeep::app::Settings;
using mcpkeep::app::Usage;

namespace {

const std::vector<std::string> kNames = {"db", "max-events", "listen", "close-streams-after"};

// Sets an environment variable for the scope.
struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  const char* name_;
};

}  // namespace

TEST_CASE("settings layer: config file < environment < flags") {
  mcpkeep::test::TempDir dir;
  const std::string file = dir.file("mcpkeep.conf");
  std::ofstream(file) << "# comment\ndb = /from/file.db\nmax-events = 10\nlisten = 127.0.0.1:1\n";
  ScopedEnv env("MCPKEEP_MAX_EVENTS", "20");
  ScopedEnv env_listen("MCPKEEP_LISTEN", "127.0.0.1:2");
  const Settings s({"--config", file, "--listen", "127.0.0.1:3", "--json", "positional"}, kNames, {"json"});
  CHECK(s.get("db") == "/from/file.db");       // only the file sets it
  CHECK(s.positive("max-events") == 20);       // the environment beats the file
  CHECK(s.get("listen") == "127.0.0.1:3");     // a flag beats both
  CHECK_FALSE(s.has("close-streams-after"));
  CHECK(s.get("close-streams-after", "none") == "none");
  CHECK(s.on("json"));
  CHECK(s.positional() == std::vector<std::string>{"positional"});
}

TEST_CASE("the config file may also come from MCPKEEP_CONFIG, values are not expanded") {
  mcpkeep::test::TempDir dir;
  const std::string file = dir.file("env.conf");
  std::ofstream(file) << "db = /data/${HOME}.db\n";
  ScopedEnv env("MCPKEEP_CONFIG", file.c_str());
  CHECK(Settings({}, kNames).get("db") == "/data/${HOME}.db");
}

TEST_CASE("unknown settings, missing values and bad numbers are refused naming them") {
  mcpkeep::test::TempDir dir;
  const std::string file = dir.file("bad.conf");
  std::ofstream(file) << "max-event = 10\n";
  CHECK_THROWS_WITH(Settings({"--config", file}, kNames), Catch::Contains("unknown setting 'max-event'"));
  CHECK_THROWS_WITH(Settings({"--config", dir.file("missing.conf")}, kNames), Catch::Contains("cannot read the config file"));
  CHECK_THROWS_WITH(Settings({"--nope", "1"}, kNames), Catch::Contains("unknown option '--nope'"));
  CHECK_THROWS_WITH(Settings({"--db"}, kNames), Catch::Contains("--db needs a value"));
  CHECK_THROWS_WITH(Settings({"--max-events", "ten"}, kNames).positive("max-events"),
                    Catch::Contains("--max-events must be a positive whole number, not 'ten'"));
  CHECK_THROWS_WITH(Settings({"--close-streams-after", "-1"}, kNames).seconds("close-streams-after"),
                    Catch::Contains("--close-streams-after must be a number of seconds"));
  CHECK(Settings({"--close-streams-after", "0.25"}, kNames).seconds("close-streams-after") ==
        std::chrono::milliseconds(250));
}
