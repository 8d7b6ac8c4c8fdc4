// The cost of the cross-replica path: an event appended by replica B (its
// own Store on the same PostgreSQL database) reaching a subscriber of replica
// A's Hub (B's commit NOTIFYs, A's listener rings, A reads the store),
// against the same event published on A (delivered from A's memory). One
// event at a time, so each latency is one trip.
//
//   bench_replicas postgresql://... [EVENTS]
//
// Prints: "<path> n=<events> p50=<ms> p99=<ms> max=<ms>" per path.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <mcpkeep/mcpkeep.h>

namespace {

using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// Appends `events` one by one with `append`, each awaited on `subscriber`.
std::vector<double> trips(mcpkeep::Subscription& subscriber, int events,
                          const std::function<void(int)>& append) {
  std::vector<double> ms;
  for (int i = 0; i < events; ++i) {
    const auto before = Clock::now();
    append(i);
    const mcpkeep::Delivery d = subscriber.next(std::chrono::seconds(10));
    if (d.kind != mcpkeep::Delivery::Kind::kEvent) throw std::runtime_error("no delivery within 10 s");
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - before).count());
  }
  return ms;
}

void report(const char* path, const std::vector<double>& ms) {
  std::printf("%-28s n=%zu p50=%.2fms p99=%.2fms max=%.2fms\n", path, ms.size(), percentile(ms, 0.5),
              percentile(ms, 0.99), *std::max_element(ms.begin(), ms.end()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_replicas postgresql://... [EVENTS]\n";
    return 2;
  }
  const int events = argc > 2 ? std::stoi(argv[2]) : 1000;
  mcpkeep::StoreOptions options;
  options.maintenance_interval = std::chrono::milliseconds(0);
  mcpkeep::Store a(argv[1], options);
  mcpkeep::Store b(argv[1], options);
  mcpkeep::HubOptions slow_poll;
  slow_poll.poll_interval = std::chrono::seconds(5);  // what arrives sooner came by NOTIFY
  mcpkeep::Hub hub(a, slow_poll);
  const std::string session = a.createSession().id;
  const mcpkeep::StreamId stream = a.openRequestStream(session, "[1]");
  mcpkeep::Subscription subscriber = hub.follow(session, stream);
  const std::string data = R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}})";

  const auto local = trips(subscriber, events, [&](int) { hub.publish(session, stream, "message", data); });
  const auto remote = trips(subscriber, events, [&](int) { b.append(session, stream, "message", data); });
  report("same replica (A -> A)", local);
  report("across replicas (B -> A)", remote);
  return 0;
}
