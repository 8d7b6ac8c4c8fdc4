#include "helpers/raw_http.h"

#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Timespan.h>

namespace mcpkeep::test {

using Clock = std::chrono::steady_clock;

RawHttp::RawHttp(uint16_t port) {
  socket_.connect(Poco::Net::SocketAddress("127.0.0.1", port), Poco::Timespan(5, 0));
}

bool RawHttp::send(const std::string& bytes) {
  try {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const int n = socket_.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  } catch (const Poco::Exception&) {
    return false;
  }
}

std::string RawHttp::readUntilClosed(std::chrono::milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  std::string out = std::move(pending_);
  pending_.clear();
  char buffer[8192];
  while (Clock::now() < deadline) {
    try {
      socket_.setReceiveTimeout(Poco::Timespan(0, 100'000));
      const int n = socket_.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
    } catch (const Poco::TimeoutException&) {
    } catch (const Poco::Exception&) {
      break;
    }
  }
  return out;
}

namespace {

// The length of the whole response at the start of `in` (headers, and a
// Content-Length or chunked body), or 0 while it is incomplete.
std::size_t completeResponseLength(const std::string& in) {
  const auto end = in.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  const std::string head = in.substr(0, end + 2);
  const std::size_t body = end + 4;
  if (head.find("Transfer-Encoding: chunked\r\n") != std::string::npos) {
    std::size_t at = body;
    for (;;) {
      const auto line_end = in.find("\r\n", at);
      if (line_end == std::string::npos) return 0;
      const std::size_t size = std::stoul(in.substr(at, line_end - at), nullptr, 16);
      at = line_end + 2 + size + 2;  // the data and its CRLF (or the final CRLF)
      if (in.size() < at) return 0;
      if (size == 0) return at;
    }
  }
  std::size_t length = 0;
  const auto at = head.find("Content-Length: ");
  if (at != std::string::npos) length = std::stoul(head.substr(at + 16));
  return in.size() >= body + length ? body + length : 0;
}

}  // namespace

std::string RawHttp::readUntil(const std::function<std::size_t(const std::string&)>& complete,
                               std::chrono::milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  char buffer[8192];
  for (;;) {
    if (const std::size_t length = complete(pending_)) {
      std::string part = pending_.substr(0, length);
      pending_.erase(0, length);
      return part;
    }
    if (Clock::now() >= deadline) return std::string();
    try {
      socket_.setReceiveTimeout(Poco::Timespan(0, 100'000));
      const int n = socket_.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) return std::string();
      pending_.append(buffer, static_cast<std::size_t>(n));
    } catch (const Poco::TimeoutException&) {
    } catch (const Poco::Exception&) {
      return std::string();
    }
  }
}

std::string RawHttp::readResponse(std::chrono::milliseconds wait) {
  return readUntil(completeResponseLength, wait);
}

std::string RawHttp::readHead(std::chrono::milliseconds wait) {
  return readUntil(
      [](const std::string& in) {
        const auto end = in.find("\r\n\r\n");
        return end == std::string::npos ? 0 : end + 4;
      },
      wait);
}

std::string RawHttp::readUntilFound(const std::string& needle, std::chrono::milliseconds wait) {
  return readUntil(
      [&needle](const std::string& in) {
        const auto at = in.find(needle);
        return at == std::string::npos ? 0 : at + needle.size();
      },
      wait);
}

bool RawHttp::closedByServer(std::chrono::milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  char buffer[8192];
  while (Clock::now() < deadline) {
    try {
      socket_.setReceiveTimeout(Poco::Timespan(0, 100'000));
      if (socket_.receiveBytes(buffer, sizeof buffer) <= 0) return true;
    } catch (const Poco::TimeoutException&) {
    } catch (const Poco::Exception&) {
      return true;
    }
  }
  return false;
}

int statusOf(const std::string& response) {
  if (response.compare(0, 5, "HTTP/") != 0) return 0;
  const auto space = response.find(' ');
  return space == std::string::npos ? 0 : std::atoi(response.c_str() + space + 1);
}

std::string bodyOf(const std::string& response) {
  const auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : response.substr(end + 4);
}

}  // namespace mcpkeep::test
