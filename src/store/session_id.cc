#include "store/session_id.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include <mcpkeep/error.h>

namespace mcpkeep::store {

std::string newSessionId() {
  unsigned char bytes[16];
  std::size_t filled = 0;
  while (filled < sizeof bytes) {
    const ssize_t n = ::getrandom(bytes + filled, sizeof bytes - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorCode::kInternal,
                  std::string("cannot read random bytes for a session id: ") + std::strerror(errno));
    }
    filled += static_cast<std::size_t>(n);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(32);
  for (unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 0xf]);
  }
  return id;
}

}  // namespace mcpkeep::store
