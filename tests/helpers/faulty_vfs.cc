#include "helpers/faulty_vfs.h"

#include <cstring>
#include <stdexcept>

namespace mcpkeep::test {
namespace {

// The file this VFS opens: its methods, then the real VFS's file.
struct File {
  sqlite3_file base;
  FaultyVfs* faults;
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

File* fileOf(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
sqlite3_file* realOf(sqlite3_file* f) { return fileOf(f)->real(); }

int fileClose(sqlite3_file* f) { return realOf(f)->pMethods->xClose(realOf(f)); }
int fileRead(sqlite3_file* f, void* buffer, int amount, sqlite3_int64 offset) {
  if (const int code = fileOf(f)->faults->faultFor(FaultyVfs::Op::kRead)) return code;
  return realOf(f)->pMethods->xRead(realOf(f), buffer, amount, offset);
}
int fileWrite(sqlite3_file* f, const void* buffer, int amount, sqlite3_int64 offset) {
  if (const int code = fileOf(f)->faults->faultFor(FaultyVfs::Op::kWrite)) return code;
  return realOf(f)->pMethods->xWrite(realOf(f), buffer, amount, offset);
}
int fileTruncate(sqlite3_file* f, sqlite3_int64 size) { return realOf(f)->pMethods->xTruncate(realOf(f), size); }
int fileSync(sqlite3_file* f, int flags) {
  if (const int code = fileOf(f)->faults->faultFor(FaultyVfs::Op::kSync)) return code;
  return realOf(f)->pMethods->xSync(realOf(f), flags);
}
int fileSize(sqlite3_file* f, sqlite3_int64* size) { return realOf(f)->pMethods->xFileSize(realOf(f), size); }
int fileLock(sqlite3_file* f, int level) { return realOf(f)->pMethods->xLock(realOf(f), level); }
int fileUnlock(sqlite3_file* f, int level) { return realOf(f)->pMethods->xUnlock(realOf(f), level); }
int fileCheckReservedLock(sqlite3_file* f, int* out) {
  return realOf(f)->pMethods->xCheckReservedLock(realOf(f), out);
}
int fileControl(sqlite3_file* f, int op, void* arg) { return realOf(f)->pMethods->xFileControl(realOf(f), op, arg); }
int fileSectorSize(sqlite3_file* f) { return realOf(f)->pMethods->xSectorSize(realOf(f)); }
int fileDeviceCharacteristics(sqlite3_file* f) {
  return realOf(f)->pMethods->xDeviceCharacteristics(realOf(f));
}
int fileShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return realOf(f)->pMethods->xShmMap(realOf(f), page, size, extend, out);
}
int fileShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return realOf(f)->pMethods->xShmLock(realOf(f), offset, n, flags);
}
void fileShmBarrier(sqlite3_file* f) { realOf(f)->pMethods->xShmBarrier(realOf(f)); }
int fileShmUnmap(sqlite3_file* f, int remove) { return realOf(f)->pMethods->xShmUnmap(realOf(f), remove); }

// Version 2: shared memory (WAL), no memory-mapped I/O (so every read goes
// through xRead, where faults are).
const sqlite3_io_methods kMethods = {
    2, fileClose, fileRead, fileWrite, fileTruncate, fileSync, fileSize, fileLock, fileUnlock,
    fileCheckReservedLock, fileControl, fileSectorSize, fileDeviceCharacteristics, fileShmMap,
    fileShmLock, fileShmBarrier, fileShmUnmap, nullptr, nullptr};

FaultyVfs* selfOf(sqlite3_vfs* vfs) { return static_cast<FaultyVfs*>(vfs->pAppData); }
sqlite3_vfs* realOf(sqlite3_vfs* vfs) { return selfOf(vfs)->real(); }

int vfsOpen(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  File* file = fileOf(f);
  file->faults = selfOf(vfs);
  const int rc = realOf(vfs)->xOpen(realOf(vfs), name, file->real(), flags, out_flags);
  file->base.pMethods = file->real()->pMethods ? &kMethods : nullptr;
  return rc;
}
int vfsDelete(sqlite3_vfs* vfs, const char* name, int sync) { return realOf(vfs)->xDelete(realOf(vfs), name, sync); }
int vfsAccess(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return realOf(vfs)->xAccess(realOf(vfs), name, flags, out);
}
int vfsFullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return realOf(vfs)->xFullPathname(realOf(vfs), name, n, out);
}
void* vfsDlOpen(sqlite3_vfs* vfs, const char* name) { return realOf(vfs)->xDlOpen(realOf(vfs), name); }
void vfsDlError(sqlite3_vfs* vfs, int n, char* out) { realOf(vfs)->xDlError(realOf(vfs), n, out); }
void (*vfsDlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return realOf(vfs)->xDlSym(realOf(vfs), handle, symbol);
}
void vfsDlClose(sqlite3_vfs* vfs, void* handle) { realOf(vfs)->xDlClose(realOf(vfs), handle); }
int vfsRandomness(sqlite3_vfs* vfs, int n, char* out) { return realOf(vfs)->xRandomness(realOf(vfs), n, out); }
int vfsSleep(sqlite3_vfs* vfs, int micros) { return realOf(vfs)->xSleep(realOf(vfs), micros); }
int vfsCurrentTime(sqlite3_vfs* vfs, double* out) { return realOf(vfs)->xCurrentTime(realOf(vfs), out); }
int vfsGetLastError(sqlite3_vfs* vfs, int n, char* out) { return realOf(vfs)->xGetLastError(realOf(vfs), n, out); }
int vfsCurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return realOf(vfs)->xCurrentTimeInt64(realOf(vfs), out);
}

}  // namespace

FaultyVfs::FaultyVfs() : real_(sqlite3_vfs_find(nullptr)) {
  if (!real_) throw std::runtime_error("no default SQLite VFS");
  vfs_.iVersion = 2;
  vfs_.szOsFile = static_cast<int>(sizeof(File)) + real_->szOsFile;
  vfs_.mxPathname = real_->mxPathname;
  vfs_.zName = "mcpkeep-faulty";
  vfs_.pAppData = this;
  vfs_.xOpen = vfsOpen;
  vfs_.xDelete = vfsDelete;
  vfs_.xAccess = vfsAccess;
  vfs_.xFullPathname = vfsFullPathname;
  vfs_.xDlOpen = vfsDlOpen;
  vfs_.xDlError = vfsDlError;
  vfs_.xDlSym = vfsDlSym;
  vfs_.xDlClose = vfsDlClose;
  vfs_.xRandomness = vfsRandomness;
  vfs_.xSleep = vfsSleep;
  vfs_.xCurrentTime = vfsCurrentTime;
  vfs_.xGetLastError = vfsGetLastError;
  vfs_.xCurrentTimeInt64 = vfsCurrentTimeInt64;
  if (sqlite3_vfs_register(&vfs_, /*makeDflt=*/1) != SQLITE_OK) {
    throw std::runtime_error("cannot register the faulty VFS");
  }
}

FaultyVfs::~FaultyVfs() {
  sqlite3_vfs_unregister(&vfs_);
  sqlite3_vfs_register(real_, /*makeDflt=*/1);
}

void FaultyVfs::failNth(Op op, int n, int code) {
  Fault& f = fault(op);
  f.code = code;
  f.always = false;
  f.countdown = n;
}

void FaultyVfs::failAll(Op op, int code) {
  Fault& f = fault(op);
  f.code = code;
  f.always = true;
}

void FaultyVfs::clear() {
  for (Fault& f : faults_) {
    f.always = false;
    f.countdown = 0;
  }
}

int FaultyVfs::faultFor(Op op) {
  Fault& f = fault(op);
  if (f.always || (f.countdown > 0 && --f.countdown == 0)) {
    ++failures_;
    return f.code;
  }
  return SQLITE_OK;
}

}  // namespace mcpkeep::test
