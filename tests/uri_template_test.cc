// RFC 6570 level 1 URI templates: parsing and matching.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "mcp/uri_template.h"

using mcpkeep::mcp::UriTemplate;
using Values = std::map<std::string, std::string>;

TEST_CASE("a URI template matches URIs and returns its variables, percent-decoded") {
  const UriTemplate t("test://template/{id}/data");
  CHECK(t.variables() == std::vector<std::string>{"id"});
  CHECK(t.match("test://template/123/data") == Values{{"id", "123"}});
  CHECK(t.match("test://template/a%20b/data") == Values{{"id", "a b"}});
  CHECK_FALSE(t.match("test://template//data"));       // a value is never empty
  CHECK_FALSE(t.match("test://template/1/2/data"));    // nor holds a '/'
  CHECK_FALSE(t.match("test://template/123/data/x"));  // the end must match too
  CHECK_FALSE(t.match("other://template/123/data"));
  CHECK_FALSE(t.match("test://template/%zz/data"));  // not percent-encoding: not an expansion

  const UriTemplate two("files://{project}/{name}.json");
  CHECK(two.match("files://p/a.b.json") == Values{{"project", "p"}, {"name", "a.b"}});
  CHECK_FALSE(two.match("files://p/a.txt"));

  const UriTemplate last("users://{user}");
  CHECK(last.match("users://ada") == Values{{"user", "ada"}});

  const UriTemplate none("fixed://x");
  CHECK(none.match("fixed://x") == Values{});
  CHECK_FALSE(none.match("fixed://xy"));
}

TEST_CASE("templates beyond level 1 or malformed are refused with the reason") {
  const auto refused = [](const std::string& text, const std::string& reason) {
    INFO(text);
    CHECK_THROWS_WITH(UriTemplate(text), Catch::Contains(reason));
  };
  refused("test://{id", "'{' without '}'");
  refused("test://id}", "'}' without '{'");
  refused("test://{}", "empty variable name");
  refused("test://{+path}", "beyond level 1");
  refused("test://{a}/{a}", "appears twice");
  refused("test://{a}{b}", "nothing between");
}
