// Everything a library user needs: #include <mcpkeep/mcpkeep.h>.
#pragma once

#include <mcpkeep/error.h>
#include <mcpkeep/event.h>
#include <mcpkeep/event_id.h>
#include <mcpkeep/hub.h>
#include <mcpkeep/options.h>
#include <mcpkeep/session.h>
#include <mcpkeep/store.h>
#include <mcpkeep/stream.h>
#include <mcpkeep/time.h>
