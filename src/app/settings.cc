#include "app/settings.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <Poco/Exception.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>

namespace mcpkeep::app {
namespace {

// Layer priorities: Poco searches the lowest value first.
constexpr int kFlags = 0;
constexpr int kEnvironment = 10;
constexpr int kFile = 20;

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::string Settings::environmentName(const std::string& name) {
  std::string variable = "MCPKEEP_";
  for (char c : name) variable += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return variable;
}

Settings::Settings(const std::vector<std::string>& args, const std::vector<std::string>& valued,
                   const std::vector<std::string>& switches, const std::vector<std::string>& repeatable)
    : layers_(new Poco::Util::LayeredConfiguration) {
  Poco::AutoPtr<Poco::Util::MapConfiguration> flags(new Poco::Util::MapConfiguration);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      positional_.push_back(arg);
      continue;
    }
    const std::string name = arg.substr(2);
    if (contains(switches, name)) {
      switches_on_.push_back(name);
    } else if (contains(valued, name) || name == "config") {
      if (i + 1 == args.size()) throw Usage(arg + " needs a value");
      const std::string value = args[++i];
      if (contains(repeatable, name) && flags->hasProperty(name)) {
        flags->setString(name, flags->getRawString(name) + "\n" + value);
      } else {
        flags->setString(name, value);
      }
    } else {
      throw Usage("unknown option '" + arg + "'");
    }
  }
  Poco::AutoPtr<Poco::Util::MapConfiguration> environment(new Poco::Util::MapConfiguration);
  for (const std::string& name : valued) {
    if (const char* value = std::getenv(environmentName(name).c_str())) environment->setString(name, value);
  }
  layers_->add(flags, kFlags);
  layers_->add(environment, kEnvironment);

  std::string file = flags->getRawString("config", "");
  if (file.empty() && std::getenv("MCPKEEP_CONFIG")) file = std::getenv("MCPKEEP_CONFIG");
  if (file.empty()) return;
  Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> config;
  try {
    config = new Poco::Util::PropertyFileConfiguration(file);
  } catch (const Poco::Exception& e) {
    throw Usage("cannot read the config file " + file + ": " + e.displayText());
  }
  Poco::Util::AbstractConfiguration::Keys keys;
  config->keys(keys);
  for (const std::string& key : keys) {
    if (!contains(valued, key)) throw Usage("unknown setting '" + key + "' in " + file);
  }
  layers_->add(config, kFile);
}

bool Settings::has(const std::string& name) const { return layers_->hasProperty(name); }

std::string Settings::get(const std::string& name, const std::string& fallback) const {
  // Raw: no ${...} expansion in values.
  return layers_->getRawString(name, fallback);
}

int64_t Settings::positive(const std::string& name) const {
  const std::string text = get(name);
  std::size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
  }
  if (used != text.size() || n <= 0) {
    throw Usage("--" + name + " must be a positive whole number, not '" + text + "'");
  }
  return n;
}

std::chrono::milliseconds Settings::seconds(const std::string& name) const {
  const std::string text = get(name);
  std::size_t used = 0;
  double s = 0;
  try {
    s = std::stod(text, &used);
  } catch (const std::exception&) {
  }
  if (used != text.size() || !(s > 0) || s > 1e9) {
    throw Usage("--" + name + " must be a number of seconds above 0, not '" + text + "'");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(s * 1000 + 0.5));
}

std::string Settings::oneOf(const std::string& name, const std::vector<std::string>& choices,
                            const std::string& fallback) const {
  const std::string value = get(name, fallback);
  if (contains(choices, value)) return value;
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : " | ") + c;
  throw Usage("--" + name + " must be " + list + ", not '" + value + "'");
}

std::vector<std::string> Settings::list(const std::string& name) const {
  std::vector<std::string> values;
  if (!has(name)) return values;
  const std::string text = get(name);
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find('\n', start);
    values.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return values;
}

bool Settings::on(const std::string& switch_name) const { return contains(switches_on_, switch_name); }

}  // namespace mcpkeep::app
