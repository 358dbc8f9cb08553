// Profiles: named sets of connection settings in one YAML file, shared by the SDK and gaonctl,
// and the explicit helper that turns GAON_* environment variables and the profile file into
// ClientOptions.
//
// The file ($GAON_CONFIG, else $XDG_CONFIG_HOME/gaon/config.yaml, else
// ~/.config/gaon/config.yaml) looks like:
//
//   current_profile: prod
//   profiles:
//     prod:
//       endpoint: https://gaon.example.kr
//       api_key: gaon_sk_…
//       tenant: ten_…          # default tenant for commands that need one
//       ca_file: /etc/gaon/ca.pem
//       insecure: false        # true: skip TLS verification
//
// It holds secrets: SaveProfiles writes it with mode 0600 (its directory 0700).
// Thread-safety: the functions read the environment and files when called and keep no state;
// call them from any thread, but not while another thread changes the environment.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gaon/ids.h"
#include "gaon/options.h"
#include "gaon/status.h"

namespace gaon {

struct Profile {
  std::string name;
  std::string endpoint;
  std::string api_key;
  std::string tenant;  // a tenant id, or empty
  std::string ca_file;
  bool insecure = false;
  // Other keys of the profile (written by newer tools), kept as they are when the file is
  // saved again.
  std::map<std::string, std::string> extra;
  bool operator==(const Profile&) const = default;
};

struct ProfileFile {
  std::string current_profile;  // may be empty
  std::vector<Profile> profiles;

  // The profile named `name`, or null.
  const Profile* Find(std::string_view name) const;
  // Replaces the profile of the same name, or appends `profile`.
  void Upsert(Profile profile);
  // Removes the profile named `name`; false when there was none. Clears current_profile when
  // it named that profile.
  bool Remove(std::string_view name);
  bool operator==(const ProfileFile&) const = default;
};

// $GAON_CONFIG, else $XDG_CONFIG_HOME/gaon/config.yaml, else $HOME/.config/gaon/config.yaml.
// InvalidArgument("no_config_path") when none of these variables is set.
StatusOr<std::string> DefaultProfilePath();

// Reads the file at `path`. A missing file is an empty ProfileFile (not an error);
// InvalidArgument("invalid_profile_file") naming the problem when it is not a profile file.
StatusOr<ProfileFile> LoadProfiles(const std::string& path);

// Writes `file` to `path` atomically (a temporary file in the same directory, renamed over
// it), with mode 0600, creating the directory (mode 0700) when missing. Unavailable
// ("io_error") naming the path when the file system refuses.
Status SaveProfiles(const ProfileFile& file, const std::string& path);

// What the environment says to connect with.
struct ResolvedSettings {
  ClientOptions options;
  std::optional<TenantId> tenant;  // GAON_TENANT, else the profile's tenant
  std::string profile;             // the profile used ("" when none was)
  std::string config_path;         // the profile file consulted ("" when none)
};

// Builds settings from, in order of precedence:
//   1. the environment: GAON_ENDPOINT, GAON_API_KEY, GAON_TENANT, GAON_CA_FILE,
//      GAON_INSECURE (true/1/yes), GAON_OPERATOR_REASON;
//   2. a profile of the profile file: `profile` when not empty, else $GAON_PROFILE, else the
//      file's current_profile, else "default" when it exists.
// Every other option keeps its default. Fails with NotFound("profile_not_found") when a
// profile was named (argument or GAON_PROFILE) but the file has none of that name,
// InvalidArgument("no_endpoint") when neither source gives an endpoint,
// InvalidArgument("invalid_tenant") for a malformed tenant id, and the errors of
// LoadProfiles.
StatusOr<ResolvedSettings> ResolveSettings(std::string_view profile = {});

// ResolveSettings(profile).options.
StatusOr<ClientOptions> OptionsFromEnvironment(std::string_view profile = {});

}  // namespace gaon
