#include "helpers/temp_dir.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mcpkeep::test {

TempDir::TempDir() {
  char pattern[] = "/tmp/mcpkeep-test-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

StoreOptions testOptions() {
  StoreOptions options;
  options.maintenance_interval = std::chrono::milliseconds(0);
  return options;
}

CommandResult runSqlite3(const std::string& db_path, const std::string& sql,
                         const std::string& flags) {
  const std::string script = db_path + ".script.sql";
  std::ofstream(script) << sql;
  CommandResult result = runCommand("sqlite3 " + flags + " '" + db_path + "' < '" + script + "'");
  std::remove(script.c_str());
  return result;
}

CommandResult runCommand(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace mcpkeep::test
