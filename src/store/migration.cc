#include "store/migration.h"

#include <mcpkeep/error.h>

namespace mcpkeep::store {

int latestVersion(const std::vector<Migration>& migrations) {
  return migrations.empty() ? 0 : migrations.back().version;
}

void requireInOrder(const std::vector<Migration>& migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      throw Error(ErrorCode::kInternal, std::string("migration ") + migrations[i].name +
                                            " is out of order: versions must be 1, 2, 3, ...");
    }
  }
}

void requireKnownVersion(int version, int latest, const std::string& where) {
  if (version > latest) {
    throw Error(ErrorCode::kNewerSchema,
                where + " has schema version " + std::to_string(version) +
                    ", newer than this mcpkeep knows (" + std::to_string(latest) +
                    "); use a newer mcpkeep, or another database");
  }
}

}  // namespace mcpkeep::store
