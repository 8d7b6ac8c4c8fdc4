#include "gateway/command.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace mcpkeep::gateway {

std::string Command::display() const {
  std::string text;
  for (const std::string& arg : argv) {
    if (!text.empty()) text += ' ';
    text += arg;
  }
  return text;
}

namespace {

std::vector<std::string> fromJsonArray(const std::string& text) {
  const nlohmann::json array = nlohmann::json::parse(text, nullptr, false);
  if (!array.is_array()) throw std::invalid_argument("the command is not a JSON array: " + text);
  std::vector<std::string> argv;
  for (const auto& arg : array) {
    if (!arg.is_string()) throw std::invalid_argument("the command's JSON array must hold strings only: " + text);
    argv.push_back(arg.get<std::string>());
  }
  return argv;
}

}  // namespace

std::vector<std::string> splitCommandLine(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\n");
  std::vector<std::string> argv;
  if (first != std::string::npos && text[first] == '[') {
    argv = fromJsonArray(text);
  } else {
    std::string arg;
    bool in_arg = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (c == ' ' || c == '\t' || c == '\n') {
        if (in_arg) argv.push_back(arg);
        arg.clear();
        in_arg = false;
      } else if (c == '\'') {
        const auto end = text.find('\'', i + 1);
        if (end == std::string::npos) throw std::invalid_argument("unterminated ' in the command: " + text);
        arg += text.substr(i + 1, end - i - 1);
        in_arg = true;
        i = end;
      } else if (c == '"') {
        std::size_t j = i + 1;
        for (; j < text.size() && text[j] != '"'; ++j) {
          if (text[j] == '\\' && j + 1 < text.size() && std::string("\"\\$`").find(text[j + 1]) != std::string::npos) ++j;
          arg += text[j];
        }
        if (j >= text.size()) throw std::invalid_argument("unterminated \" in the command: " + text);
        in_arg = true;
        i = j;
      } else if (c == '\\' && i + 1 < text.size()) {
        arg += text[++i];
        in_arg = true;
      } else {
        arg += c;
        in_arg = true;
      }
    }
    if (in_arg) argv.push_back(arg);
  }
  if (argv.empty() || argv[0].empty()) throw std::invalid_argument("the upstream command is empty");
  return argv;
}

}  // namespace mcpkeep::gateway
