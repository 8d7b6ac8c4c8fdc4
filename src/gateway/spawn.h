// gateway::spawnChild: starts a stdio upstream as a child process with pipes
// for its stdin, stdout and stderr.
#pragma once

#include <sys/types.h>

#include "gateway/command.h"

namespace mcpkeep::gateway {

struct Child {
  pid_t pid = -1;   // also its process group
  int in = -1;      // its stdin, ours to write
  int out = -1;     // its stdout, ours to read
  int err = -1;     // its stderr, ours to read
};

// Starts `command`: no shell; PATH lookup; mcpkeep's environment with
// command.env over it; command.cwd. The child leads a process group of its
// own (so stopping it reaches what it starts), inherits no descriptor but
// the three pipes (not the database, its lock or a socket), has the default
// signal mask and dispositions (serve blocks SIGTERM in its threads), and
// gets SIGKILL when mcpkeep dies, kill -9 included (PR_SET_PDEATHSIG, so no
// child outlives a crashed gateway). Throws UpstreamError naming the command
// and the reason when it cannot be started (no such file, not executable,
// no such directory).
Child spawnChild(const Command& command);

}  // namespace mcpkeep::gateway
