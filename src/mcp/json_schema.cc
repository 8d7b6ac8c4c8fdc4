#include "mcp/json_schema.h"

#include <cmath>

namespace mcpkeep::mcp {

using nlohmann::json;

namespace {

class Validator {
 public:
  explicit Validator(const json& root) : root_(root) {}

  // "" if `value` (at `path`) satisfies `schema`, else the first problem.
  std::string check(const json& schema, const json& value, const std::string& path, int depth = 0) {
    if (depth > 64) return at(path, "the schema nests or refers too deeply");
    if (schema.is_boolean()) return schema.get<bool>() ? "" : at(path, "no value is allowed here");
    if (!schema.is_object()) return "";
    if (const auto ref = schema.find("$ref"); ref != schema.end() && ref->is_string()) {
      const json* target = resolve(ref->get<std::string>());
      if (target == nullptr) return at(path, "the schema refers to " + ref->dump() + ", which it lacks");
      if (auto problem = check(*target, value, path, depth + 1); !problem.empty()) return problem;
    }
    if (const auto type = schema.find("type"); type != schema.end() && !hasType(*type, value)) {
      return at(path, "expected " + (type->is_string() ? type->get<std::string>() : type->dump()) +
                          ", got " + typeName(value));
    }
    if (const auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
      if (std::find(e->begin(), e->end(), value) == e->end()) return at(path, "not one of " + e->dump());
    }
    if (const auto c = schema.find("const"); c != schema.end() && *c != value) {
      return at(path, "expected " + c->dump());
    }
    std::string problem = checkNumber(schema, value, path);
    if (problem.empty()) problem = checkString(schema, value, path);
    if (problem.empty()) problem = checkArray(schema, value, path, depth);
    if (problem.empty()) problem = checkObject(schema, value, path, depth);
    if (problem.empty()) problem = checkCombinations(schema, value, path, depth);
    return problem;
  }

 private:
  static std::string at(const std::string& path, const std::string& what) {
    return "at " + (path.empty() ? std::string("/") : path) + ": " + what;
  }

  static std::string typeName(const json& v) {
    if (v.is_null()) return "null";
    if (v.is_boolean()) return "boolean";
    if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
    if (v.is_number()) return "number";
    if (v.is_string()) return "string";
    if (v.is_array()) return "array";
    return "object";
  }

  static bool isType(const std::string& type, const json& v) {
    if (type == "integer") {
      return v.is_number_integer() || v.is_number_unsigned() ||
             (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
    }
    if (type == "number") return v.is_number();
    return typeName(v) == type;
  }

  static bool hasType(const json& type, const json& v) {
    if (type.is_string()) return isType(type.get<std::string>(), v);
    if (!type.is_array()) return true;
    for (const auto& t : type) {
      if (t.is_string() && isType(t.get<std::string>(), v)) return true;
    }
    return false;
  }

  const json* resolve(const std::string& ref) const {
    if (ref == "#") return &root_;
    if (ref.rfind("#/", 0) != 0) return nullptr;
    try {
      const json::json_pointer pointer(ref.substr(1));
      return root_.contains(pointer) ? &root_.at(pointer) : nullptr;
    } catch (const json::exception&) {
      return nullptr;
    }
  }

  static std::string checkNumber(const json& s, const json& v, const std::string& path) {
    if (!v.is_number()) return "";
    const double x = v.get<double>();
    const auto bound = [&](const char* key) -> const json* {
      const auto it = s.find(key);
      return it != s.end() && it->is_number() ? &*it : nullptr;
    };
    if (auto b = bound("minimum"); b && x < b->get<double>()) return at(path, "below the minimum " + b->dump());
    if (auto b = bound("maximum"); b && x > b->get<double>()) return at(path, "above the maximum " + b->dump());
    if (auto b = bound("exclusiveMinimum"); b && x <= b->get<double>()) {
      return at(path, "not above " + b->dump());
    }
    if (auto b = bound("exclusiveMaximum"); b && x >= b->get<double>()) {
      return at(path, "not below " + b->dump());
    }
    return "";
  }

  static std::string checkString(const json& s, const json& v, const std::string& path) {
    if (!v.is_string()) return "";
    // Length in code points, as JSON Schema counts it.
    const std::string& text = v.get_ref<const std::string&>();
    const auto length = static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
    if (s.contains("minLength") && s["minLength"].is_number() && length < s["minLength"].get<std::size_t>()) {
      return at(path, "shorter than " + s["minLength"].dump() + " characters");
    }
    if (s.contains("maxLength") && s["maxLength"].is_number() && length > s["maxLength"].get<std::size_t>()) {
      return at(path, "longer than " + s["maxLength"].dump() + " characters");
    }
    return "";
  }

  std::string checkArray(const json& s, const json& v, const std::string& path, int depth) {
    if (!v.is_array()) return "";
    if (s.contains("minItems") && s["minItems"].is_number() && v.size() < s["minItems"].get<std::size_t>()) {
      return at(path, "fewer than " + s["minItems"].dump() + " items");
    }
    if (s.contains("maxItems") && s["maxItems"].is_number() && v.size() > s["maxItems"].get<std::size_t>()) {
      return at(path, "more than " + s["maxItems"].dump() + " items");
    }
    if (const auto items = s.find("items"); items != s.end()) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (auto p = check(*items, v[i], path + "/" + std::to_string(i), depth + 1); !p.empty()) return p;
      }
    }
    return "";
  }

  std::string checkObject(const json& s, const json& v, const std::string& path, int depth) {
    if (!v.is_object()) return "";
    if (const auto required = s.find("required"); required != s.end() && required->is_array()) {
      for (const auto& name : *required) {
        if (name.is_string() && !v.contains(name.get<std::string>())) {
          return at(path, "missing the required property " + name.dump());
        }
      }
    }
    const json properties = s.value("properties", json::object());
    const auto additional = s.find("additionalProperties");
    for (const auto& [name, member] : v.items()) {
      const std::string member_path = path + "/" + name;
      if (properties.is_object() && properties.contains(name)) {
        if (auto p = check(properties[name], member, member_path, depth + 1); !p.empty()) return p;
      } else if (additional != s.end()) {
        if (auto p = check(*additional, member, member_path, depth + 1); !p.empty()) {
          return additional->is_boolean() ? at(member_path, "no such property is allowed") : p;
        }
      }
    }
    return "";
  }

  std::string checkCombinations(const json& s, const json& v, const std::string& path, int depth) {
    if (const auto all = s.find("allOf"); all != s.end() && all->is_array()) {
      for (const auto& sub : *all) {
        if (auto p = check(sub, v, path, depth + 1); !p.empty()) return p;
      }
    }
    const auto matches = [&](const json& list) {
      int n = 0;
      for (const auto& sub : list) n += check(sub, v, path, depth + 1).empty() ? 1 : 0;
      return n;
    };
    if (const auto any = s.find("anyOf"); any != s.end() && any->is_array() && matches(*any) == 0) {
      return at(path, "matches none of anyOf");
    }
    if (const auto one = s.find("oneOf"); one != s.end() && one->is_array() && matches(*one) != 1) {
      return at(path, "does not match exactly one of oneOf");
    }
    if (const auto no = s.find("not"); no != s.end() && check(*no, v, path, depth + 1).empty()) {
      return at(path, "matches the schema under \"not\"");
    }
    // if/then/else: "then" applies to what matches "if", "else" to the rest.
    if (const auto condition = s.find("if"); condition != s.end()) {
      const bool holds = check(*condition, v, path, depth + 1).empty();
      const auto branch = s.find(holds ? "then" : "else");
      if (branch != s.end()) {
        if (auto p = check(*branch, v, path, depth + 1); !p.empty()) return p;
      }
    }
    return "";
  }

  const json& root_;
};

}  // namespace

std::string schemaProblem(const json& schema, const json& value) {
  return Validator(schema).check(schema, value, "");
}

}  // namespace mcpkeep::mcp
