// Deploys an open model as an inference endpoint, waits until it is Ready, and asks it one
// question through its OpenAI-compatible chat call; prints the answer and the tokens it used.
//
//   deploy_endpoint NAME MODEL [GPU_TYPE] [--delete]
//
// MODEL is a catalog model id (gaonctl models list) or a custom model's mdl_… id. The GPUs per
// replica are the fewest (1, 2, 4 or 8) whose memory holds the model. With --delete the
// endpoint is deleted again afterwards (and the program waits for that): a smoke test of a
// region's inference. Settings come from GAON_ENDPOINT, GAON_API_KEY and GAON_TENANT (or a
// gaonctl profile). Exit status: 0 when the endpoint answered, 1 otherwise.
#include <gaon/client.h>
#include <gaon/profile.h>

#include <cstring>
#include <iostream>

namespace {

// The fewest GPUs of `gpu_type` (1, 2, 4 or 8) whose memory together holds `model`; 0 when
// even 8 do not.
int GpusFor(const gaon::Client& client, const gaon::TenantId& tenant, const std::string& model_id,
            const std::string& gpu_type) {
  auto custom = gaon::ModelId::Parse(model_id);
  auto model = custom.ok() ? client.GetCustomModel(tenant, *custom) : client.GetModel(model_id);
  auto gpus = client.ListGpuTypes();
  if (!model.ok() || !gpus.ok()) return 1;  // let the server say what is wrong
  for (const gaon::GpuType& g : *gpus) {
    if (g.id != gpu_type) continue;
    for (int n : {1, 2, 4, 8}) {
      if (n * g.memory_gib >= model->min_gpu_memory_gib) return n;
    }
    return 0;
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: deploy_endpoint NAME MODEL [GPU_TYPE] [--delete]\n";
    return 2;
  }
  auto settings = gaon::ResolveSettings();
  if (!settings.ok()) {
    std::cerr << settings.status().ToString() << "\n";
    return 1;
  }
  if (!settings->tenant) {
    std::cerr << "set GAON_TENANT (or the profile's tenant) to the tenant to deploy in\n";
    return 1;
  }
  auto client = gaon::Client::Create(settings->options);
  if (!client.ok()) {
    std::cerr << client.status().ToString() << "\n";
    return 1;
  }
  const gaon::TenantId tenant = *settings->tenant;

  gaon::Endpoint request;
  request.name = argv[1];
  request.spec.model = argv[2];
  request.spec.gpu_type = argc > 3 && argv[3][0] != '-' ? argv[3] : "h100-80gb-sxm";
  request.spec.gpus_per_replica = GpusFor(*client, tenant, request.spec.model, request.spec.gpu_type);
  if (request.spec.gpus_per_replica == 0) {
    std::cerr << request.spec.model << " does not fit on 8 x " << request.spec.gpu_type << "\n";
    return 1;
  }
  request.spec.min_replicas = 1;
  request.spec.max_replicas = 2;
  request.spec.autoscaling.metric = "concurrency";
  request.spec.autoscaling.target = 8;
  const bool delete_after = std::strcmp(argv[argc - 1], "--delete") == 0;

  // Admission is synchronous (quota, residency, the model's memory needs); the rest is not.
  auto created = client->CreateEndpoint(tenant, request);
  if (!created.ok()) {
    std::cerr << "create failed: " << created.status().ToString() << "\n";
    return 1;
  }
  std::cout << "created " << created->id.str() << " (" << created->status.phase << ", "
            << request.spec.gpus_per_replica << " x " << request.spec.gpu_type << " per replica)\n";

  auto ready = client->WaitForEndpoint(tenant, created->id, gaon::endpoint_phases::kReady, std::chrono::minutes(15));
  if (!ready.ok()) {
    std::cerr << "it did not become ready: " << ready.status().ToString() << "\n";
    return 1;
  }
  std::cout << ready->id.str() << " is Ready with " << ready->status.ready_replicas << " replica(s) at "
            << ready->status.url.value_or("?") << "\n";

  gaon::ChatCompletionRequest chat;
  chat.messages = {{.role = "user", .content = "서울의 날씨는 어때요? (How is the weather in Seoul?)"}};
  chat.max_tokens = 64;
  // A scaled-to-zero or still-loading endpoint answers 503 with Retry-After; the client waits
  // and retries within its request timeout.
  auto answer = client->CreateChatCompletion(tenant, ready->id, chat);
  if (!answer.ok()) {
    std::cerr << "chat failed: " << answer.status().ToString() << "\n";
    return 1;
  }
  if (!answer->choices.empty()) std::cout << answer->choices.front().message.content << "\n";
  std::cout << "tokens: " << answer->usage.prompt_tokens << " in, " << answer->usage.completion_tokens << " out ("
            << answer->system_fingerprint << ")\n";

  if (delete_after) {
    if (auto d = client->DeleteEndpoint(tenant, ready->id); !d.ok()) {
      std::cerr << "delete failed: " << d.status().ToString() << "\n";
      return 1;
    }
    auto gone = client->WaitForEndpoint(tenant, ready->id, gaon::endpoint_phases::kDeleted, std::chrono::minutes(5));
    if (!gone.ok()) {
      std::cerr << "delete did not finish: " << gone.status().ToString() << "\n";
      return 1;
    }
    std::cout << ready->id.str() << " deleted\n";
  }
  return 0;
}
