// CHECK_ERROR(expression, code): the expression throws mcpkeep::Error with
// that ErrorCode.
#pragma once

#include <catch2/catch.hpp>

#include <mcpkeep/error.h>

namespace mcpkeep::test {

inline Catch::Matchers::Generic::PredicateMatcher<Error> hasCode(ErrorCode code) {
  return Catch::Matchers::Predicate<Error>([code](const Error& e) { return e.code() == code; },
                                           std::string("has code ") + errorCodeName(code));
}

}  // namespace mcpkeep::test

#define CHECK_ERROR(expression, code) \
  CHECK_THROWS_MATCHES(expression, mcpkeep::Error, mcpkeep::test::hasCode(code))
#define REQUIRE_ERROR(expression, code) \
  REQUIRE_THROWS_MATCHES(expression, mcpkeep::Error, mcpkeep::test::hasCode(code))
