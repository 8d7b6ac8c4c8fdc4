#include "store/sqlite/reader_pool.h"

namespace mcpkeep::store {

ReaderPool::Lease::~Lease() {
  if (connection_) pool_->giveBack(std::move(connection_));
}

ReaderPool::ReaderPool(Opener opener, std::size_t max_connections)
    : opener_(std::move(opener)), max_connections_(max_connections == 0 ? 1 : max_connections) {}

ReaderPool::Lease ReaderPool::borrow() {
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

void ReaderPool::giveBack(std::unique_ptr<Connection> connection) {
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.push_back(std::move(connection));
  returned_.notify_one();
}

}  // namespace mcpkeep::store
