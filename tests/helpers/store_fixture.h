// StoreFixture: a Store on a file in a fresh temporary directory, with a
// clock the test moves, and the sqlite3 CLI at hand for that file.
#pragma once

#include <catch2/catch.hpp>

#include <mcpkeep/store.h>

#include "helpers/temp_dir.h"

namespace mcpkeep::test {

struct StoreFixture {
  TempDir dir;
  FakeClock fake;
  std::string path = dir.file("store.db");
  Store store;

  explicit StoreFixture(std::chrono::milliseconds touch_interval = std::chrono::seconds(5))
      : store(path, options(fake, touch_interval)) {}

  // Runs statements with the sqlite3 CLI; requires success, returns the output.
  std::string sql(const std::string& statements) {
    const auto r = runSqlite3(path, statements);
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
