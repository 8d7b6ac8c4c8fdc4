// mcpkeep::McpServer: the MCP protocol on top of a Hub: lifecycle
// (initialize, ping), tools, prompts, resources, completion, logging,
// cancellation. Transport-agnostic: the
// HTTP layer hands it JSON-RPC messages; every message it sends (responses,
// progress, logs) is published to the request's stream in the store first,
// and the transport delivers it from there.
//
// Thread safety: every method may be called from any thread. Tool handlers
// run on worker threads of their own, so a long one blocks no one else.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mcpkeep/dispatcher.h>
#include <mcpkeep/hub.h>

namespace mcpkeep {

// A request to the client that did not get a result (ToolContext::request).
class ClientRequestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by a tool handler to answer its call with a JSON-RPC error (a
// protocol error: the call could not be carried out) instead of a result
// with isError (the tool ran and reports a failure). A task it ends is
// failed with this error.
class ToolProtocolError : public std::runtime_error {
 public:
  ToolProtocolError(int code, const std::string& message, nlohmann::json data = nullptr)
      : std::runtime_error(message), code_(code), data_(std::move(data)) {}
  int code() const noexcept { return code_; }
  const nlohmann::json& data() const noexcept { return data_; }

 private:
  int code_;
  nlohmann::json data_;
};

// A request to the client, for ToolContext::requestInputs.
struct InputRequest {
  std::string method;  // sampling/createMessage, elicitation/create or roots/list
  nlohmann::json params = nlohmann::json::object();
};

// What a handler that may ask the client for input gets (a tool's
// ToolContext, or a prompt's asking_handler). Valid during the call.
class InputContext {
 public:
  virtual ~InputContext() = default;

  // Several requests to the client, each under a key of the handler's
  // choosing; returns their results by key. A session's client is sent
  // them one after another on the call's stream (tools only: a prompt's
  // requests fail with ClientRequestError there). A stateless request's
  // client (2026-07-28) is sent them together in one "input_required"
  // result (with a signed requestState carrying the answers of earlier
  // rounds), and the handler's next run gets them. A stateless client that
  // did not declare a capability a request needs gets the
  // MissingRequiredClientCapability error (-32021) as the answer.
  virtual std::map<std::string, nlohmann::json> requestInputs(const std::map<std::string, InputRequest>& requests) = 0;

  // The capabilities the client declared (its initialize, or the stateless
  // request's _meta).
  virtual nlohmann::json clientCapabilities() const = 0;
};

// What a tool handler gets besides its arguments. Valid during the call.
//
// A call comes from one of two eras. A session's client (protocol
// 2025-11-25 and before) is sent requests on the call's stream and the
// handler waits for the answers. A stateless request (2026-07-28) cannot be
// sent requests: a handler that asks the client for something ends there,
// the client gets an "input_required" result naming what is asked and
// sends the call again with the answers, and the handler runs again from
// its start, this time getting them. So in that era a handler runs once per
// round: ask before doing what must not be done twice.
class ToolContext : public InputContext {
 public:
  // Sends notifications/progress on the request's stream when the request
  // carried _meta.progressToken; does nothing otherwise.
  virtual void progress(double progress, std::optional<double> total = std::nullopt,
                        const std::string& message = std::string()) = 0;

  // Sends notifications/message at `level` (debug, info, notice, warning,
  // error, critical, alert, emergency) when the session's logging/setLevel
  // (a stateless request: its _meta logLevel; none, no logs) lets it through.
  virtual void log(const std::string& level, const nlohmann::json& data,
                   const std::string& logger = std::string()) = 0;

  // True once the client cancelled the request (notifications/cancelled) or
  // the server is shutting down. Long handlers should check it and return.
  virtual bool cancelled() const = 0;

  virtual const std::string& sessionId() const = 0;

  // Ends the client's current connection to this request's stream; the call
  // goes on, and the client reconnects with Last-Event-ID to receive what
  // follows, the result included (SEP-1699 polling). Lets a long call hold
  // no connection. Ignored when the client has no event id to resume from
  // (protocol versions before 2025-11-25 get no priming event).
  virtual void closeSseStream() = 0;

  // Sends a request to the client on this call's stream (stored first, like
  // every message; the stream must be SSE, not a JSON response) and waits
  // for the client to POST its response, at most `timeout`. Returns the
  // response's result. Throws ClientRequestError naming the reason: the
  // client answered with an error; it did not answer in time or the call was
  // cancelled (the client is then sent notifications/cancelled); or it did
  // not declare the capability the method needs ("sampling" for
  // sampling/createMessage, "elicitation" for elicitation/create, "roots"
  // for roots/list: from the store, so it holds after a restart).
  virtual nlohmann::json request(const std::string& method, const nlohmann::json& params,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60)) = 0;
  // (A stateless request's client is asked through requestInputs(), under
  // a key naming the request by the order it is asked in.)

  // Turns this call into a task (protocol 2026-07-28's tasks extension)
  // when it can become one: a stateless request whose _meta declares the
  // extension, to a tool whose task_support allows it. The task is
  // committed, the client is answered at once with its id, and the handler
  // goes on; what it returns completes the task (a ToolProtocolError fails
  // it). From then on requestInputs() waits for the client's tasks/update
  // (the task shows input_required meanwhile), cancelled() follows
  // tasks/cancel, progress and logs are not sent. Returns false and changes
  // nothing when the call cannot become a task: the handler goes on and is
  // answered as usual. True again once it is a task.
  virtual bool startTask(const std::string& status_message = std::string()) = 0;

  // The task's status message (tasks/get shows it); ignored unless the call
  // is a task.
  virtual void setStatusMessage(const std::string& message) = 0;

  // The three requests MCP defines, through request().
  nlohmann::json createMessage(const nlohmann::json& params) {
    return request("sampling/createMessage", params);
  }
  nlohmann::json elicit(const nlohmann::json& params) { return request("elicitation/create", params); }
  nlohmann::json listRoots() { return request("roots/list", nlohmann::json::object()); }
};

// Returns a CallToolResult object ({"content": [...]}, ...). An exception
// becomes a result with isError: true and its message as text.
using ToolHandler = std::function<nlohmann::json(const nlohmann::json& arguments, ToolContext& context)>;

// Whether a tool's calls may become tasks (ToolContext::startTask).
enum class TaskSupport {
  kForbidden,  // never (the default)
  kOptional,   // when the caller declares the tasks extension
  kRequired,   // only as tasks: a caller without the extension gets -32021
};

struct Tool {
  std::string name;
  std::string title;  // optional
  std::string description;
  // JSON Schema of the arguments, passed to clients unchanged.
  nlohmann::json input_schema = {{"type", "object"}};
  std::optional<nlohmann::json> output_schema;
  ToolHandler handler;
  // Arguments are checked against input_schema before the handler runs;
  // those that do not match get an isError result naming the path and the
  // rule ("invalid arguments: at /steps: expected integer"), so a model can
  // correct its call, and the handler never sees them. false: the handler
  // gets the arguments as sent and checks them itself. Default: true.
  bool check_arguments = true;

  // Tasks (protocol 2026-07-28): whether calls may become tasks; how long
  // a task is kept from its creation (nullopt: until deleted) and how often
  // clients are asked to poll it; and whether a task left unfinished by a
  // crash is run again from the start by the next server on the file (only
  // for handlers that are safe to run twice) instead of failing with a
  // message saying the server stopped.
  TaskSupport task_support = TaskSupport::kForbidden;
  std::optional<std::chrono::milliseconds> task_ttl = std::chrono::hours(1);
  std::chrono::milliseconds task_poll_interval = std::chrono::seconds(1);
  bool rerun_tasks_after_restart = false;
};

// Completion candidates (completion/complete) for a prompt argument or a
// resource template variable: given `value`, what the user has typed so
// far, and `context`, the other arguments already chosen. At most 100 are
// sent; the client is told how many there were.
using Completer = std::function<std::vector<std::string>(
    const std::string& value, const std::map<std::string, std::string>& context)>;

struct PromptArgument {
  std::string name;
  std::string description;  // optional
  bool required = false;
  Completer complete = nullptr;  // optional
};

// Returns a GetPromptResult object ({"messages": [{"role", "content"}, ...]},
// optionally "description") for `arguments`: strings, with every required
// argument present (checked before the call). An exception becomes a
// JSON-RPC error: std::invalid_argument -32602 (a bad argument value), any
// other -32603, with its message.
using PromptHandler =
    std::function<nlohmann::json(const std::map<std::string, std::string>& arguments)>;

// A prompt handler that may ask the client for input first
// (InputContext::requestInputs): for stateless requests (2026-07-28), whose
// clients answer with input_required rounds.
using AskingPromptHandler =
    std::function<nlohmann::json(const std::map<std::string, std::string>& arguments, InputContext& inputs)>;

struct Prompt {
  std::string name;
  std::string title;  // optional
  std::string description;
  std::vector<PromptArgument> arguments;
  PromptHandler handler;
  // Instead of `handler`: one that may ask the client for input.
  AskingPromptHandler asking_handler;
};

// Returns a ReadResourceResult ({"contents": [{"uri", "mimeType", "text" or
// "blob" (base64)}, ...]}) for `uri`; `variables` holds a template's values
// (empty for a fixed resource). An exception becomes a JSON-RPC error:
// std::invalid_argument -32602, any other -32603, with its message.
using ResourceReader = std::function<nlohmann::json(
    const std::string& uri, const std::map<std::string, std::string>& variables)>;

// A resource with a fixed URI.
struct Resource {
  std::string uri;
  std::string name;
  std::string title;        // optional
  std::string description;  // optional
  std::string mime_type;    // optional
  ResourceReader handler;
};

// Resources whose URIs follow a template: RFC 6570 level 1, e.g.
// "files://{project}/{name}". resources/read tries fixed resources first,
// then templates in order of their template text.
struct ResourceTemplate {
  std::string uri_template;
  std::string name;
  std::string title;        // optional
  std::string description;  // optional
  std::string mime_type;    // optional
  std::map<std::string, Completer> completions;  // by variable; optional
  ResourceReader handler;
};

struct ServerInfo {
  std::string name = "mcpkeep";
  std::string version = "0.1.0";
  std::string instructions;  // optional
};

class McpServer : public Dispatcher {
 public:
  // The MCP server of the hub's database: one live server per file, in any
  // process (an flock on "<file>.serving", freed when this is destroyed or
  // its process dies); beside a live one this throws Error(kBusy) naming it
  // (pid, address). Creating it finishes what a dead server left: every
  // request on a request stream still open is answered with the interrupted
  // JSON-RPC error (-32603, committed on its stream, so a client that
  // resumes gets it) and the stream marked interrupted.
  McpServer(Hub& hub, ServerInfo info = ServerInfo());
  // shutdown() with no grace.
  ~McpServer() override;

  McpServer(const McpServer&) = delete;
  McpServer& operator=(const McpServer&) = delete;

  // Adds a tool, or replaces the one with the same name. Throws
  // std::invalid_argument for a tool without a name or handler, or with an
  // x-mcp-header annotation the spec forbids (see mirroredParams).
  void addTool(Tool tool);

  // Adds a prompt, or replaces the one with the same name. A server with
  // prompts advertises the prompts capability to sessions initialized after.
  void addPrompt(Prompt prompt);

  // Adds a resource (or template), replacing one with the same URI (or
  // template text). addResourceTemplate throws std::invalid_argument for a
  // template that is not RFC 6570 level 1. A server with either advertises
  // the resources capability (with subscribe) to sessions initialized after.
  void addResource(Resource resource);
  void addResourceTemplate(ResourceTemplate resource_template);

  // Sends notifications/resources/updated for `uri` to every session
  // subscribed to it (resources/subscribe, kept in the store), on its
  // standalone stream. Returns how many sessions it reached.
  int notifyResourceUpdated(const std::string& uri);

  // After the first request, adding a tool, prompt, resource or template
  // also sends notifications/{tools,prompts,resources}/list_changed to every
  // session (listChanged is advertised as true).

  // ---- For transports (Dispatcher) ------------------------------------

  // Answers at once on the request's stream, or from a worker for
  // tools/call.
  Dispatch handleRequest(const std::string& session_id, const nlohmann::json& request) override;

  // A client's response goes to the tool waiting for it;
  // notifications/cancelled cancels its tool call.
  void handleNotification(const std::string& session_id, const nlohmann::json& message) override;

  bool endSession(const std::string& session_id) override;

  // A stateless request's client went away: a subscriptions/listen ends, a
  // tool call is cancelled.
  void abandon(const std::string& session_id, StreamId stream) override;

  // Stops taking tool calls and gives those running up to `grace` to
  // finish: their results are committed (a client that resumes its stream,
  // after a restart too, gets them). Calls still running then are
  // cancelled (ToolContext::cancelled()) and answered with the interrupted
  // JSON-RPC error, committed on their streams, so no stream ends without
  // the answer it owes. Returns when the handlers have returned.
  // Idempotent.
  void shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(0)) override;

  Hub& hub() override;

  bool servesStateless() const override { return true; }

  std::vector<MirroredParam> mirroredParams(const std::string& tool) override;

  // Where clients reach this server (HttpServer::start sets it), named to a
  // second server refused on the same file.
  void setAddress(const std::string& url) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpkeep
