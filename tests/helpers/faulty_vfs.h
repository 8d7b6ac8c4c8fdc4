// FaultyVfs: an SQLite VFS over the default one that makes chosen file
// operations fail, as a failing or full disk would. While it lives it is
// the process's default VFS, so every connection opened meanwhile (the
// Store's among them) goes through it.
//
// Thread safety: the fault settings are atomics; safe to change while
// connections run.
#pragma once

#include <sqlite3.h>

#include <atomic>

namespace mcpkeep::test {

class FaultyVfs {
 public:
  enum class Op { kRead, kWrite, kSync };

  FaultyVfs();
  ~FaultyVfs();
  FaultyVfs(const FaultyVfs&) = delete;
  FaultyVfs& operator=(const FaultyVfs&) = delete;

  // The nth next `op` (1: the very next) fails with `code`, once.
  void failNth(Op op, int n, int code);
  // Every `op` fails with `code` until clear(): e.g. a full disk.
  void failAll(Op op, int code);
  // No more faults.
  void clear();

  // Operations failed so far.
  int failures() const { return failures_.load(); }

  // For the VFS's file methods: the code `op` fails with now, or SQLITE_OK.
  int faultFor(Op op);
  // The VFS this one wraps.
  sqlite3_vfs* real() const { return real_; }

 private:
  struct Fault {
    std::atomic<int> countdown{0};  // > 0: fails when it reaches 0
    std::atomic<bool> always{false};
    std::atomic<int> code{SQLITE_OK};
  };
  Fault& fault(Op op) { return faults_[static_cast<int>(op)]; }

  Fault faults_[3];
  std::atomic<int> failures_{0};
  sqlite3_vfs vfs_{};
  sqlite3_vfs* real_ = nullptr;
};

}  // namespace mcpkeep::test
