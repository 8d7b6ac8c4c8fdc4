#include "mcp/request_state.h"

#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/HMACEngine.h>
#include <Poco/SHA2Engine.h>

#include "mcp/json_rpc.h"

namespace mcpkeep::mcp {

using nlohmann::json;

namespace {

// HMACEngine wants a block size and digest size as static members.
class Sha256 : public Poco::SHA2Engine {
 public:
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
  Sha256() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

std::string base64url(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  encoder.rdbuf()->setLineLength(0);
  encoder << bytes;
  encoder.close();
  return out.str();
}

std::string unbase64url(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  std::string bytes((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
  if (!decoder.eof() && decoder.fail()) throw std::runtime_error("not base64url");
  return bytes;
}

int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void refuse(const std::string& why) {
  throw RpcError(kInvalidParams, "requestState refused: " + why + "; send the request again without it");
}

}  // namespace

std::string RequestStateSigner::mac(const std::string& text) const {
  Poco::HMACEngine<Sha256> hmac(key_);
  hmac.update(text);
  const Poco::DigestEngine::Digest& digest = hmac.digest();
  return std::string(digest.begin(), digest.end());
}

std::string RequestStateSigner::sign(const json& payload, const std::string& binding,
                                     std::chrono::seconds ttl) const {
  const std::string body =
      base64url(json{{"p", payload}, {"b", binding}, {"x", nowSeconds() + ttl.count()}}.dump());
  return body + "." + base64url(mac(body));
}

json RequestStateSigner::verify(const std::string& state, const std::string& binding) const {
  const std::size_t dot = state.find('.');
  if (dot == std::string::npos) refuse("it is not a state this server made");
  const std::string body = state.substr(0, dot);
  std::string signature;
  try {
    signature = unbase64url(state.substr(dot + 1));
  } catch (const std::exception&) {
    refuse("it is not a state this server made");
  }
  const std::string expected = mac(body);
  // Constant time: the comparison must not tell how much of a forgery is right.
  unsigned char differ = signature.size() != expected.size();
  for (std::size_t i = 0; i < signature.size() && i < expected.size(); ++i) {
    differ |= static_cast<unsigned char>(signature[i] ^ expected[i]);
  }
  if (differ) refuse("its signature does not match (it was altered, or made by another server)");
  const json decoded = json::parse(unbase64url(body), nullptr, false);
  if (!decoded.is_object() || !decoded.contains("p")) refuse("it is malformed");
  if (decoded.value("b", std::string()) != binding) refuse("it was made for another request");
  if (decoded.value("x", int64_t{0}) < nowSeconds()) refuse("it has expired");
  return decoded["p"];
}

}  // namespace mcpkeep::mcp
