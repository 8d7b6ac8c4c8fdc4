#include "mcp/uri_template.h"

#include <algorithm>
#include <stdexcept>

#include <Poco/Exception.h>
#include <Poco/URI.h>

namespace mcpkeep::mcp {

UriTemplate::UriTemplate(const std::string& text) : text_(text) {
  const auto bad = [&](const std::string& why) {
    return std::invalid_argument("URI template '" + text + "': " + why);
  };
  std::string literal;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') throw bad("'}' without '{'");
    if (text[i] != '{') {
      literal += text[i];
      continue;
    }
    const auto close = text.find('}', i);
    if (close == std::string::npos) throw bad("'{' without '}'");
    const std::string name = text.substr(i + 1, close - i - 1);
    if (name.empty()) throw bad("an empty variable name");
    if (name.find_first_of("+#./;?&=,!@|{") != std::string::npos) {
      throw bad("'{" + name + "}' is beyond level 1 (only {name} is supported)");
    }
    if (std::find(variables_.begin(), variables_.end(), name) != variables_.end()) {
      throw bad("the variable '" + name + "' appears twice");
    }
    if (!variables_.empty() && literal.empty()) throw bad("two variables with nothing between");
    literals_.push_back(literal);
    literal.clear();
    variables_.push_back(name);
    i = close;
  }
  literals_.push_back(literal);
}

std::optional<std::map<std::string, std::string>> UriTemplate::match(const std::string& uri) const {
  if (uri.compare(0, literals_[0].size(), literals_[0]) != 0) return std::nullopt;
  std::size_t pos = literals_[0].size();
  std::map<std::string, std::string> values;
  for (std::size_t i = 0; i < variables_.size(); ++i) {
    const std::string& next = literals_[i + 1];
    const bool last = i + 1 == variables_.size();
    std::size_t end;
    if (last) {
      // The final literal must end the URI.
      if (uri.size() < pos + next.size() ||
          uri.compare(uri.size() - next.size(), next.size(), next) != 0) {
        return std::nullopt;
      }
      end = uri.size() - next.size();
    } else {
      end = uri.find(next, pos);
      if (end == std::string::npos) return std::nullopt;
    }
    const std::string raw = uri.substr(pos, end - pos);
    if (raw.empty() || raw.find('/') != std::string::npos) return std::nullopt;
    std::string value;
    try {
      Poco::URI::decode(raw, value);
    } catch (const Poco::SyntaxException&) {
      return std::nullopt;  // bad percent-encoding: no expansion of the template gives it
    }
    values[variables_[i]] = value;
    pos = end + next.size();
  }
  if (variables_.empty() && uri.size() != pos) return std::nullopt;
  return values;
}

}  // namespace mcpkeep::mcp
