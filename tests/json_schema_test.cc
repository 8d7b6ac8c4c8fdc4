// The JSON Schema subset that checks tools' structuredContent.
#include <catch2/catch.hpp>

#include "mcp/json_schema.h"

using nlohmann::json;
using mcpkeep::mcp::schemaProblem;

namespace {

const json kWeather = json::parse(R"({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "$defs": {"reading": {"type": "object", "required": ["value"],
                        "properties": {"value": {"type": "number", "minimum": -90, "maximum": 60},
                                       "unit": {"enum": ["C", "F"]}},
                        "additionalProperties": false}},
  "properties": {
    "city": {"type": "string", "minLength": 1, "maxLength": 20},
    "days": {"type": "integer", "exclusiveMinimum": 0},
    "readings": {"type": "array", "items": {"$ref": "#/$defs/reading"}, "maxItems": 3},
    "source": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    "mode": {"oneOf": [{"const": "fast"}, {"const": "slow"}]},
    "tags": {"type": ["array", "null"], "items": {"type": "string"}}
  },
  "required": ["city", "readings"]
})");

json valid() {
  return json::parse(R"({"city": "Zürich", "days": 2, "readings": [{"value": 21.5, "unit": "C"}, {"value": 3}],
                         "source": null, "mode": "fast", "tags": ["a"], "extra": true})");
}

}  // namespace

TEST_CASE("a value that follows the schema has no problem") {
  CHECK(schemaProblem(kWeather, valid()) == "");
  json v = valid();
  v["days"] = 3.0;  // an integral number counts as an integer
  v["tags"] = nullptr;
  CHECK(schemaProblem(kWeather, v) == "");
  CHECK(schemaProblem(json::object(), json::array()) == "");  // no rules
  CHECK(schemaProblem(true, 1) == "");
}

TEST_CASE("each broken rule is reported with where it is broken") {
  const auto problem = [](const std::function<void(json&)>& breakIt) {
    json v = valid();
    breakIt(v);
    return schemaProblem(kWeather, v);
  };
  CHECK(problem([](json& v) { v.erase("city"); }) == "at /: missing the required property \"city\"");
  CHECK(problem([](json& v) { v["city"] = 7; }) == "at /city: expected string, got integer");
  CHECK(problem([](json& v) { v["city"] = ""; }) == "at /city: shorter than 1 characters");
  CHECK(problem([](json& v) { v["city"] = std::string(21, 'x'); }) == "at /city: longer than 20 characters");
  CHECK(problem([](json& v) { v["days"] = 0; }) == "at /days: not above 0");
  CHECK(problem([](json& v) { v["days"] = 1.5; }) == "at /days: expected integer, got number");
  CHECK(problem([](json& v) { v["readings"][1]["value"] = 99; }) ==
        "at /readings/1/value: above the maximum 60");
  CHECK(problem([](json& v) { v["readings"][0]["unit"] = "K"; }) ==
        "at /readings/0/unit: not one of [\"C\",\"F\"]");
  CHECK(problem([](json& v) { v["readings"][0]["wind"] = 1; }) ==
        "at /readings/0/wind: no such property is allowed");
  CHECK(problem([](json& v) { v["readings"].push_back({{"value", 1}}); v["readings"].push_back({{"value", 1}}); }) ==
        "at /readings: more than 3 items");
  CHECK(problem([](json& v) { v["source"] = 1; }) == "at /source: matches none of anyOf");
  CHECK(problem([](json& v) { v["mode"] = "medium"; }) == "at /mode: does not match exactly one of oneOf");
  CHECK(problem([](json& v) { v["tags"] = "a"; }) == "at /tags: expected [\"array\",\"null\"], got string");
  CHECK(schemaProblem({{"$ref", "#/$defs/missing"}}, 1) ==
        "at /: the schema refers to \"#/$defs/missing\", which it lacks");
  CHECK(schemaProblem(false, 1) == "at /: no value is allowed here");
}

TEST_CASE("a schema that refers to itself endlessly is refused, not followed forever") {
  CHECK_THAT(schemaProblem({{"$ref", "#"}}, 1), Catch::Contains("too deeply"));
}

TEST_CASE("if/then/else: then applies where if holds, else where it does not") {
  const json contact = json::parse(R"({
    "type": "object",
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]}
  })");
  CHECK(schemaProblem(contact, json::parse(R"({"contactMethod": "phone", "phone": "1"})")) == "");
  CHECK(schemaProblem(contact, json::parse(R"({"email": "a@b"})")) == "");
  CHECK(schemaProblem(contact, json::parse(R"({"contactMethod": "phone", "email": "a@b"})")) != "");
  CHECK(schemaProblem(contact, json::parse(R"({"contactMethod": "email", "phone": "1"})")) != "");
}
