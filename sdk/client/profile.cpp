// The profile file (yaml-cpp) and the environment helper.
#include "gaon/profile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace gaon {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

Status BadFile(const std::string& path, const std::string& why) {
  return InvalidArgument("profile file " + path + ": " + why, "invalid_profile_file");
}

Status IoError(const std::string& what, const std::string& path, int err) {
  return Unavailable("cannot " + what + " " + path + ": " + std::strerror(err), "io_error");
}

bool Truthy(std::string v) {
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  return v == "1" || v == "true" || v == "yes" || v == "on";
}

StatusOr<Profile> ReadProfile(const std::string& path, const std::string& name, const YAML::Node& node) {
  if (!node.IsMap()) return BadFile(path, "profile '" + name + "' must be a mapping");
  Profile p;
  p.name = name;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (!kv.second.IsScalar() && !kv.second.IsNull()) {
      return BadFile(path, "profiles." + name + "." + key + " must be a single value");
    }
    const std::string value = kv.second.IsNull() ? std::string() : kv.second.as<std::string>();
    if (key == "endpoint") {
      p.endpoint = value;
    } else if (key == "api_key") {
      p.api_key = value;
    } else if (key == "tenant") {
      p.tenant = value;
    } else if (key == "ca_file") {
      p.ca_file = value;
    } else if (key == "insecure") {
      p.insecure = Truthy(value);
    } else {
      p.extra[key] = value;
    }
  }
  return p;
}

StatusOr<ProfileFile> Parse(const std::string& path, const YAML::Node& root) {
  ProfileFile f;
  if (root.IsNull()) return f;
  if (!root.IsMap()) return BadFile(path, "the top level must be a mapping");
  if (const auto current = root["current_profile"]; current && !current.IsNull()) {
    if (!current.IsScalar()) return BadFile(path, "current_profile must be a profile name");
    f.current_profile = current.as<std::string>();
  }
  const auto profiles = root["profiles"];
  if (!profiles || profiles.IsNull()) return f;
  if (!profiles.IsMap()) return BadFile(path, "profiles must be a mapping of names to profiles");
  for (const auto& kv : profiles) {
    ASSIGN_OR_RETURN(Profile p, ReadProfile(path, kv.first.as<std::string>(), kv.second));
    f.profiles.push_back(std::move(p));
  }
  return f;
}

std::string Emit(const ProfileFile& file) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  if (!file.current_profile.empty()) out << YAML::Key << "current_profile" << YAML::Value << file.current_profile;
  out << YAML::Key << "profiles" << YAML::Value << YAML::BeginMap;
  for (const auto& p : file.profiles) {
    out << YAML::Key << p.name << YAML::Value << YAML::BeginMap;
    auto put = [&](const char* key, const std::string& value) {
      if (!value.empty()) out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
    };
    put("endpoint", p.endpoint);
    put("api_key", p.api_key);
    put("tenant", p.tenant);
    put("ca_file", p.ca_file);
    if (p.insecure) out << YAML::Key << "insecure" << YAML::Value << true;
    for (const auto& [k, v] : p.extra) put(k.c_str(), v);
    out << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

// Creates `dir` and its missing parents with mode 0700.
Status MakeDirs(const std::filesystem::path& dir) {
  if (dir.empty() || std::filesystem::exists(dir)) return Status::Ok();
  RETURN_IF_ERROR(MakeDirs(dir.parent_path()));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return IoError("create the directory", dir.string(), errno);
  return Status::Ok();
}

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("write", path, errno);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return IoError("sync", path, errno);
  return Status::Ok();
}

}  // namespace

const Profile* ProfileFile::Find(std::string_view name) const {
  for (const auto& p : profiles) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

void ProfileFile::Upsert(Profile profile) {
  for (auto& p : profiles) {
    if (p.name == profile.name) {
      p = std::move(profile);
      return;
    }
  }
  profiles.push_back(std::move(profile));
}

bool ProfileFile::Remove(std::string_view name) {
  const auto n = std::erase_if(profiles, [&](const Profile& p) { return p.name == name; });
  if (n > 0 && current_profile == name) current_profile.clear();
  return n > 0;
}

StatusOr<std::string> DefaultProfilePath() {
  if (auto p = Env("GAON_CONFIG"); !p.empty()) return p;
  if (auto x = Env("XDG_CONFIG_HOME"); !x.empty()) return x + "/gaon/config.yaml";
  if (auto h = Env("HOME"); !h.empty()) return h + "/.config/gaon/config.yaml";
  return InvalidArgument("no profile file: set GAON_CONFIG, XDG_CONFIG_HOME or HOME", "no_config_path");
}

StatusOr<ProfileFile> LoadProfiles(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return ProfileFile{};
  std::ifstream in(path);
  if (!in) return IoError("read", path, errno);
  try {
    return Parse(path, YAML::Load(in));
  } catch (const YAML::Exception& e) {
    return BadFile(path, e.what());
  }
}

Status SaveProfiles(const ProfileFile& file, const std::string& path) {
  const std::filesystem::path target(path);
  RETURN_IF_ERROR(MakeDirs(target.parent_path()));
  std::string tmp = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(tmp.data());  // mode 0600
  if (fd < 0) return IoError("create a temporary file next to", path, errno);
  Status written = WriteAll(fd, Emit(file), tmp);
  if (written.ok() && ::fchmod(fd, 0600) != 0) written = IoError("set the mode of", tmp, errno);
  ::close(fd);
  if (written.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) written = IoError("replace", path, errno);
  if (!written.ok()) ::unlink(tmp.c_str());
  return written;
}

StatusOr<ResolvedSettings> ResolveSettings(std::string_view profile) {
  ResolvedSettings out;
  std::string name(profile);
  if (name.empty()) name = Env("GAON_PROFILE");
  const bool named = !name.empty();
  auto path = DefaultProfilePath();
  ProfileFile file;
  if (path.ok()) {
    ASSIGN_OR_RETURN(file, LoadProfiles(*path));
    out.config_path = *path;
  } else if (named) {
    return path.status();
  }
  if (name.empty()) name = file.current_profile.empty() ? "default" : file.current_profile;
  Profile p;
  if (const Profile* found = file.Find(name)) {
    p = *found;
    out.profile = name;
  } else if (named || !file.current_profile.empty()) {
    return NotFound("no profile named '" + name + "' in " + out.config_path, "profile_not_found");
  }
  auto pick = [](const char* env, const std::string& fallback) {
    auto v = Env(env);
    return v.empty() ? fallback : v;
  };
  ClientOptions& o = out.options;
  o.endpoint = pick("GAON_ENDPOINT", p.endpoint);
  o.api_key = pick("GAON_API_KEY", p.api_key);
  o.ca_file = pick("GAON_CA_FILE", p.ca_file);
  o.verify_tls = !(Env("GAON_INSECURE").empty() ? p.insecure : Truthy(Env("GAON_INSECURE")));
  o.operator_reason = Env("GAON_OPERATOR_REASON");
  if (o.endpoint.empty()) {
    return InvalidArgument("no endpoint: set GAON_ENDPOINT or create a profile (gaonctl login)", "no_endpoint");
  }
  const std::string tenant = pick("GAON_TENANT", p.tenant);
  if (!tenant.empty()) {
    auto id = TenantId::Parse(tenant);
    if (!id.ok()) return InvalidArgument(id.status().message(), "invalid_tenant");
    out.tenant = *id;
  }
  return out;
}

StatusOr<ClientOptions> OptionsFromEnvironment(std::string_view profile) {
  ASSIGN_OR_RETURN(ResolvedSettings s, ResolveSettings(profile));
  return std::move(s.options);
}

}  // namespace gaon
