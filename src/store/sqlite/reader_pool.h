// store::ReaderPool: read connections lent to one thread at a time, so that
// readers run concurrently with each other and with the writer (WAL).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "store/sqlite/connection.h"

namespace mcpkeep::store {

class ReaderPool {
 public:
  using Opener = std::function<std::unique_ptr<Connection>()>;

  // A borrowed connection, returned to the pool on destruction.
  class Lease {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<Connection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&&) = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // Opens connections with `opener` as needed, at most `max_connections`;
  // beyond that, borrowers wait for one to come back.
  ReaderPool(Opener opener, std::size_t max_connections);

  Lease borrow();

 private:
  void giveBack(std::unique_ptr<Connection> connection);

  Opener opener_;
  const std::size_t max_connections_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t opened_ = 0;
};

}  // namespace mcpkeep::store
