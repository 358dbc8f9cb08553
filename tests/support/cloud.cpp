#include "tests/support/cloud.h"

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
                                                               {"GAON_CATALOG_FILE", std::string(GAON_SOURCE_DIR) + "/deploy/catalog.yaml"}}) {
    options.env.try_emplace(k, v);
  }
  cloud->operator_key_ = BootstrapOperatorKey(*cloud->db_);
  cloud->gaond_ = GaondProcess::Start(cloud->db_.get(), options);
  return cloud;
}

HttpResult TestCloud::Call(const std::string& method, const std::string& target, const std::string& key,
                           const std::string& body, Headers headers) {
  if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
  if (key == operator_key_) {
    bool has_reason = false;
    for (const auto& [k, v] : headers) has_reason = has_reason || k == "X-Gaon-Operator-Reason";
    if (!has_reason) headers.emplace_back("X-Gaon-Operator-Reason", "test");
  }
  HttpClient http(gaond_->address());
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

std::string TestCloud::AddNode(const std::string& zone, const std::string& gpu_type, int gpus) {
  const std::string id = "node-" + std::to_string(++nodes_) + "-" + zone;
  db_->OwnerQuery("SET gaon.platform = 'on'; INSERT INTO nodes (node_id, zone_id, gpu_type_id, gpu_count, vcpus, memory_gib) "
                  "VALUES ('" + id + "', '" + zone + "', '" + gpu_type + "', " + std::to_string(gpus) + ", " +
                  std::to_string(gpus * 28) + ", " + std::to_string(gpus * 280) + ")");
  return id;
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
