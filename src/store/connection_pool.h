// store::ConnectionPool: read connections lent to one thread at a time, so
// that readers run concurrently with each other and with the writer. Used by
// both backends (SQLite's WAL readers, PostgreSQL's read connections).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace mcpkeep::store {

// Connection needs `bool usable() const`: false once it lost its server.
template <class Connection>
class ConnectionPool {
 public:
  using Opener = std::function<std::unique_ptr<Connection>()>;

  // A borrowed connection, returned to the pool on destruction.
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&&) = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (connection_) pool_->giveBack(std::move(connection_));
    }

    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // Opens connections with `opener` as needed, at most `max_connections`;
  // beyond that, borrowers wait for one to come back.
  ConnectionPool(Opener opener, std::size_t max_connections)
      : opener_(std::move(opener)), max_connections_(max_connections == 0 ? 1 : max_connections) {}

  Lease borrow() {
    std::unique_lock<std::mutex> lock(mutex_);
    returned_.wait(lock, [&] { return !idle_.empty() || opened_ < max_connections_; });
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(connection));
    }
    ++opened_;
    lock.unlock();
    try {
      return Lease(*this, opener_());
    } catch (...) {
      std::lock_guard<std::mutex> relock(mutex_);
      --opened_;
      returned_.notify_one();
      throw;
    }
  }

 private:
  // A connection that lost its server is closed, not kept: the next
  // borrower opens a fresh one.
  void giveBack(std::unique_ptr<Connection> connection) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (connection->usable()) {
      idle_.push_back(std::move(connection));
    } else {
      --opened_;
    }
    returned_.notify_one();
  }

  Opener opener_;
  const std::size_t max_connections_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t opened_ = 0;
};

}  // namespace mcpkeep::store
