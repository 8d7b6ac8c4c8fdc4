// libFuzzer target: event id parsing. parse() accepts exactly the canonical
// form (so toString() gives back the input), and require() throws
// kInvalidEventId exactly when parse() refuses.
#include <cstddef>
#include <cstdint>
#include <string>

#include <mcpkeep/error.h>
#include <mcpkeep/event_id.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto id = mcpkeep::EventId::parse(text);
  if (id) {
    if (id->toString() != text || id->stream < 1 || id->seq < 0) __builtin_trap();
    if (mcpkeep::EventId::require(text) != *id) __builtin_trap();
    return 0;
  }
  try {
    mcpkeep::EventId::require(text);
    __builtin_trap();  // require accepted what parse refused
  } catch (const mcpkeep::Error& e) {
    if (e.code() != mcpkeep::ErrorCode::kInvalidEventId) __builtin_trap();
  }
  return 0;
}
