// The fleet (operators only): nodes, cordon and drain, the simulated hosts' fault switches, and
// the node waiter.
#include "client/client_impl.h"

namespace gaon {

using namespace client_internal;  // NOLINT: the call builders, in this file only

namespace {

std::vector<std::string> NodePath(const std::string& node, const char* action = nullptr) {
  return {"v1", "admin", "nodes", action ? Action(node, action) : node};
}

std::vector<std::string> SimNodePath(const std::string& node, const char* action) {
  return {"v1", "admin", "sim", "nodes", Action(node, action)};
}


}  // namespace

ListRange<Node> Client::ListNodes(NodeFilter filter, ListOptions list) const {
  internal::Query q = {{"zone", std::move(filter.zone)},
                       {"gpu_type", std::move(filter.gpu_type)},
                       {"state", std::move(filter.state)}};
  return PagedList<Node>(impl_, Get({"v1", "admin", "nodes"}, std::move(q)), list);
}

StatusOr<Node> Client::GetNode(const std::string& node) const { return Fetch<Node>(*impl_, Get(NodePath(node))); }

StatusOr<Node> Client::CordonNode(const std::string& node) const {
  return Fetch<Node>(*impl_, Post(NodePath(node, "cordon")));
}

StatusOr<Node> Client::UncordonNode(const std::string& node) const {
  return Fetch<Node>(*impl_, Post(NodePath(node, "uncordon")));
}

StatusOr<DrainResult> Client::DrainNode(const std::string& node, DrainRequest request) const {
  return Fetch<DrainResult>(*impl_, Post(NodePath(node, "drain"), RequestBody(request)));
}

StatusOr<Node> Client::SimFailNode(const std::string& node, SimFailRequest request) const {
  return Fetch<Node>(*impl_, Post(SimNodePath(node, "fail"), RequestBody(request)));
}

StatusOr<Node> Client::SimRecoverNode(const std::string& node) const {
  return Fetch<Node>(*impl_, Post(SimNodePath(node, "recover")));
}

StatusOr<Node> Client::WaitForNode(const std::string& node, std::string_view state, WaitOptions options) const {
  std::string last_state = "unknown";
  return PollUntil<Node>(
      options, [&] { return GetNode(node); },
      [&](const Node& n) -> PollVerdict {
        last_state = n.state;
        if (options.on_poll) options.on_poll(last_state);
        return n.state == state ? PollVerdict(Status::Ok()) : std::nullopt;
      },
      [&](const Status&) {
        return DeadlineExceeded("node " + node + " did not become " + std::string(state) + " in time; it is " + last_state,
                                "wait_timeout")
            .WithExtra("state", boost::json::serialize(boost::json::value(last_state)));
      });
}

StatusOr<Node> Client::WaitForNodeDrained(const std::string& node, WaitOptions options) const {
  std::int64_t left = -1;
  return PollUntil<Node>(
      options, [&] { return GetNode(node); },
      [&](const Node& n) -> PollVerdict {
        left = n.instances;
        if (options.on_poll) options.on_poll(std::to_string(left) + " instance(s) left");
        return left == 0 ? PollVerdict(Status::Ok()) : std::nullopt;
      },
      [&](const Status&) {
        return DeadlineExceeded("node " + node + " still had " + std::to_string(left) + " instance(s) when the wait ended",
                                "wait_timeout")
            .WithExtra("instances", std::to_string(left));
      });
}

}  // namespace gaon
