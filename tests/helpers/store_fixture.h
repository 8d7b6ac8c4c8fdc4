// StoreFixture: a Store on a fresh database (a file in a temporary
// directory, or a PostgreSQL database: helpers/backends.h), with a clock the
// test moves, and the engine's CLI at hand for that database.
#pragma once

#include <catch2/catch.hpp>

#include <mcpkeep/store.h>

#include "helpers/backends.h"
#include "helpers/temp_dir.h"

namespace mcpkeep::test {

struct StoreFixture {
  TempDir dir;
  FakeClock fake;
  std::string path = newDatabase(dir, "store.db");
  Store store;

  explicit StoreFixture(std::chrono::milliseconds touch_interval = std::chrono::seconds(5))
      : store(path, options(fake, touch_interval)) {}

  // Runs statements with the sqlite3 CLI or psql; requires success, returns
  // the output (one line per row).
  std::string sql(const std::string& statements) {
    const auto r = runSql(path, statements);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    return r.output;
  }

 private:
  static StoreOptions options(FakeClock& fake, std::chrono::milliseconds touch_interval) {
    auto o = testOptions();
    o.clock = fake.clock();
    o.touch_interval = touch_interval;
    return o;
  }
};

}  // namespace mcpkeep::test
