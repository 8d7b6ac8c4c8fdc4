// Session ids: 128 bits from the kernel's CSPRNG (getrandom), as 32 lowercase
// hex digits. Never a counter: a session id is the client's only credential.
#pragma once

#include <string>

namespace mcpkeep::store {

std::string newSessionId();

}  // namespace mcpkeep::store
