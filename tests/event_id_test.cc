#include <catch2/catch.hpp>

#include <mcpkeep/error.h>
#include <mcpkeep/event_id.h>

#include "helpers/error_matcher.h"

using mcpkeep::EventId;

TEST_CASE("an event id round-trips through its text form") {
  const EventId id{17, 42};
  CHECK(id.toString() == "17-42");
  CHECK(EventId::parse("17-42") == id);
  CHECK(EventId::parse("1-0") == EventId{1, 0});
  CHECK(EventId::parse("9223372036854775807-9223372036854775807") ==
        EventId{9223372036854775807LL, 9223372036854775807LL});
}

TEST_CASE("only the canonical form of an event id parses") {
  for (const char* bad : {"", "-", "1-", "-1", "0-1", "01-1", "1-01", "1--1", "+1-1", "1-+1",
                          "1- 1", " 1-1", "1-1 ", "1-1\n", "evt-1", "1-2-3", "a-b",
                          "9223372036854775808-1", "1-99999999999999999999", "1\r\n-1"}) {
    INFO("text: " << bad);
    CHECK_FALSE(EventId::parse(bad));
    CHECK_ERROR(EventId::require(bad), mcpkeep::ErrorCode::kInvalidEventId);
  }
}

TEST_CASE("the error for a malformed event id never echoes control characters or huge text") {
  const std::string hostile = "1-\r\nSet-Cookie: x" + std::string(10000, 'A');
  try {
    EventId::require(hostile);
    FAIL("expected an error");
  } catch (const mcpkeep::Error& e) {
    const std::string message = e.what();
    CHECK(message.find('\r') == std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.size() < 200);
  }
}
