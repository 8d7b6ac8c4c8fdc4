// app::Settings: a command's settings from, in rising precedence, a config
// file (--config FILE or MCPKEEP_CONFIG; "name = value" lines), environment
// variables (MCPKEEP_NAME for --name, dashes as underscores) and flags
// (--name value), layered with Poco's LayeredConfiguration.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <Poco/Util/LayeredConfiguration.h>

namespace mcpkeep::app {

// Bad command-line use: the message says what, the caller prints usage.
struct Usage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Settings {
 public:
  // `valued`: setting names that take a value (e.g. "db" for --db PATH);
  // `switches`: flags without one (e.g. "json"), command line only;
  // `repeatable`: valued names whose flag may come more than once (see
  // list()). Other arguments not starting with "--" are positional. Throws
  // Usage.
  Settings(const std::vector<std::string>& args, const std::vector<std::string>& valued,
           const std::vector<std::string>& switches = {}, const std::vector<std::string>& repeatable = {});

  bool has(const std::string& name) const;
  // The value, or `fallback` when no layer sets it.
  std::string get(const std::string& name, const std::string& fallback = "") const;
  // A whole number >= 1; throws Usage naming the setting otherwise.
  int64_t positive(const std::string& name) const;
  // A duration in seconds, fractions allowed, above zero; throws Usage
  // naming the setting otherwise.
  std::chrono::milliseconds seconds(const std::string& name) const;
  // One of `choices`; throws Usage otherwise.
  std::string oneOf(const std::string& name, const std::vector<std::string>& choices,
                    const std::string& fallback) const;
  // Every value of a repeatable setting: each of its flags, or the lines of
  // its environment variable or config value. Empty when unset.
  std::vector<std::string> list(const std::string& name) const;
  bool on(const std::string& switch_name) const;
  const std::vector<std::string>& positional() const { return positional_; }

  // MCPKEEP_MAX_EVENTS for "max-events".
  static std::string environmentName(const std::string& name);

 private:
  Poco::Util::LayeredConfiguration::Ptr layers_;
  std::vector<std::string> switches_on_;
  std::vector<std::string> positional_;
};

}  // namespace mcpkeep::app
