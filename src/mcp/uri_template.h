// mcp::UriTemplate: RFC 6570 level 1 templates ("test://items/{id}/data"),
// as MCP resource templates use them: the variables, and matching a URI to
// recover their values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mcpkeep::mcp {

class UriTemplate {
 public:
  // Throws std::invalid_argument naming the problem: an unclosed or stray
  // brace, an empty or repeated variable name, an operator (levels 2-4), or
  // two variables with no literal text between them.
  explicit UriTemplate(const std::string& text);

  const std::string& text() const { return text_; }
  const std::vector<std::string>& variables() const { return variables_; }

  // The variables' values if `uri` matches, percent-decoded; else nullopt.
  // A value is non-empty, holds no '/' (level 1 expansion encodes it) and
  // is valid percent-encoding.
  std::optional<std::map<std::string, std::string>> match(const std::string& uri) const;

 private:
  std::string text_;
  std::vector<std::string> variables_;
  std::vector<std::string> literals_;  // literals_[i] comes before variables_[i]; one more ends it
};

}  // namespace mcpkeep::mcp
