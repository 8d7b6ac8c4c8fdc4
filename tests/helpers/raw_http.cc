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

std::string RawHttp::readResponse(std::chrono::milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  std::string& in = pending_;
  char buffer[8192];
  for (;;) {
    const auto end = in.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::size_t length = 0;
      const auto at = in.find("Content-Length: ");
      if (at != std::string::npos && at < end) length = std::stoul(in.substr(at + 16));
      if (in.size() >= end + 4 + length) {
        std::string response = in.substr(0, end + 4 + length);
        in.erase(0, end + 4 + length);
        return response;
      }
    }
    if (Clock::now() >= deadline) return std::string();
    try {
      socket_.setReceiveTimeout(Poco::Timespan(0, 100'000));
      const int n = socket_.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) return std::string();
      in.append(buffer, static_cast<std::size_t>(n));
    } catch (const Poco::TimeoutException&) {
    } catch (const Poco::Exception&) {
      return std::string();
    }
  }
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
