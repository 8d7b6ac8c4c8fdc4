#include <mcpkeep/event_id.h>

#include <charconv>

#include <mcpkeep/error.h>

namespace mcpkeep {
namespace {

// A canonical non-negative int64: digits only, no sign, no leading zero.
std::optional<int64_t> parseCanonical(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<EventId> EventId::parse(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto stream = parseCanonical(text.substr(0, dash));
  const auto seq = parseCanonical(text.substr(dash + 1));
  if (!stream || !seq || *stream < 1) return std::nullopt;
  return EventId{*stream, *seq};
}

EventId EventId::require(std::string_view text) {
  if (auto id = parse(text)) return *id;
  // Show at most a short, printable prefix: the text may be hostile.
  std::string shown;
  for (char c : text.substr(0, 40)) shown.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (text.size() > 40) shown += "...";
  throw Error(ErrorCode::kInvalidEventId,
              "malformed event id '" + shown + "': expected <stream>-<seq>, as sent in the SSE id field");
}

std::string EventId::toString() const { return std::to_string(stream) + "-" + std::to_string(seq); }

}  // namespace mcpkeep
