#include "tests/support/cloud.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gaon::test {

std::string BootstrapOperatorKey(const TestDatabase& db) {
  auto p = GaondProcess::Start(&db, {.args = {"bootstrap", "--name", "test-operator"}, .wait_ready = false});
  if (p->Wait() != 0) throw std::runtime_error("gaond bootstrap failed:\n" + p->Log());
  std::istringstream log(p->Log());
  std::string line;
  while (std::getline(log, line)) {
    if (line.rfind("gaon_sk_", 0) == 0) return line;
  }
  throw std::runtime_error("gaond bootstrap printed no key:\n" + p->Log());
}

std::unique_ptr<TestCloud> TestCloud::Start(GaondOptions options) {
  auto cloud = std::make_unique<TestCloud>();
  cloud->db_ = TestDatabase::Create();
  for (const auto& [k, v] : std::map<std::string, std::string>{{"GAON_AUTH_ARGON2_MEMORY_KIB", "64"},
                                                               {"GAON_AUTH_ARGON2_ITERATIONS", "1"},
                                                               {"GAON_RATE_LIMIT_REQUESTS_PER_SECOND", "100000"},
                                                               {"GAON_RATE_LIMIT_BURST", "100000"},
                                                               {"GAON_CATALOG_FILE", std::string(GAON_SOURCE_DIR) + "/deploy/catalog.yaml"},
                                                               // Controllers that notice quickly: a silent host is Down
                                                               // after 3 s, a lost leader replaced after 2 s.
                                                               {"GAON_CONTROLLER_NODE_TIMEOUT", "3s"},
                                                               {"GAON_CONTROLLER_LEASE_DURATION", "2s"},
                                                               {"GAON_CONTROLLER_RESYNC_INTERVAL", "5s"},
                                                               {"GAON_CONTROLLER_RETRY_MAX_DELAY", "2s"},
                                                               // tests that want the billing pass ask for it
                                                               {"GAON_CONTROLLER_BILLING_INTERVAL", "24h"}}) {
    options.env.try_emplace(k, v);
  }
  cloud->operator_key_ = BootstrapOperatorKey(*cloud->db_);
  cloud->gaond_ = GaondProcess::Start(cloud->db_.get(), options);
  cloud->options_ = std::move(options);
  cloud->address_ = cloud->gaond_->address();
  return cloud;
}

void TestCloud::StopGaond(int signal) {
  gaond_->Signal(signal);
  if (gaond_->Wait() < 0) throw std::runtime_error("gaond did not stop after signal " + std::to_string(signal));
}

void TestCloud::StartGaond() {
  GaondOptions options = options_;
  options.env["GAON_SERVER_LISTEN"] = address_;
  gaond_ = GaondProcess::Start(db_.get(), options);
}

HttpResult TestCloud::Call(const std::string& method, const std::string& target, const std::string& key,
                           const std::string& body, Headers headers) {
  if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
  if (key == operator_key_) {
    bool has_reason = false;
    for (const auto& [k, v] : headers) has_reason = has_reason || k == "X-Gaon-Operator-Reason";
    if (!has_reason) headers.emplace_back("X-Gaon-Operator-Reason", "test");
  }
  HttpClient http(address_);
  return http.Request(method, target, body, headers);
}

std::string TestCloud::CreateTenant(const std::string& name, const std::string& jurisdiction,
                                    const std::string& currency) {
  auto r = Op("POST", "/v1/admin/tenants",
              R"({"name":")" + name + R"(","jurisdiction":")" + jurisdiction + R"(","billing_currency":")" + currency +
                  R"(","billing_email":"billing@)" + name + R"(.example"})");
  if (r.status != 201) throw std::runtime_error("create tenant failed: " + std::to_string(r.status) + " " + r.body);
  return std::string(r.Json().at("id").as_string());
}

std::string TestCloud::CreateKey(const std::string& tenant, const std::string& role, const std::string& name) {
  auto r = Op("POST", "/v1/tenants/" + tenant + "/api-keys", R"({"name":")" + name + R"(","role":")" + role + R"("})");
  if (r.status != 201) throw std::runtime_error("create key failed: " + std::to_string(r.status) + " " + r.body);
  return std::string(r.Json().at("secret").as_string());
}

std::string TestCloud::FleetFile(const std::string& yaml) {
  const std::string path = MakeTempDir("fleet") + "/fleet.yaml";
  std::ofstream(path) << yaml;
  return path;
}

std::string TestCloud::FleetGroup(const std::string& zone, const std::string& gpu_type, int nodes, int gpus) {
  return "  - {zone: " + zone + ", gpu_type: " + gpu_type + ", nodes: " + std::to_string(nodes) +
         ", gpus: " + std::to_string(gpus) + ", vcpus: " + std::to_string(gpus * 28) +
         ", memory_gib: " + std::to_string(gpus * 280) + ", prefix: " + zone + "-" + gpu_type.substr(0, gpu_type.find('-')) +
         "-" + std::to_string(gpus) + "g}\n";
}

std::pair<std::string, std::string> TestCloud::AddMember(const std::string& tenant, const std::string& email,
                                                         const std::string& role) {
  auto r = Op("POST", "/v1/tenants/" + tenant + "/members", R"({"email":")" + email + R"(","role":")" + role + R"("})");
  if (r.status != 201) throw std::runtime_error("add member failed: " + std::to_string(r.status) + " " + r.body);
  const auto o = r.Json().as_object();
  const auto pw = o.if_contains("initial_password");
  return {std::string(o.at("member").at("user_id").as_string()), pw ? std::string(pw->as_string()) : ""};
}

}  // namespace gaon::test
