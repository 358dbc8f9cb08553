// Exports last month's costs — the previous UTC calendar month, one row per charge — as a file
// for a finance system, and prints where it is.
//
//   export_costs [csv|jsonl|focus] [DIRECTORY]
//
// The file gets the server's name for it ("gaon-ten_…-2026-10-focus.csv") in DIRECTORY (default:
// the current one) and appears only once complete: the export streams into a temporary file
// next to it, which is flushed to disk and renamed into place. A broken transfer never leaves a
// part of the file under the real name, and an earlier file of that name stays as it was.
// Settings come from GAON_ENDPOINT, GAON_API_KEY and GAON_TENANT (or a gaonctl profile); the key
// needs the tenant-admin or billing-viewer role. Exit status: 0 when the file was written, 1
// otherwise.
#include <gaon/client.h>
#include <gaon/profile.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

namespace {

namespace fs = std::filesystem;

// "2026-10" when it is November 2026 in UTC.
std::string LastMonth() {
  using namespace std::chrono;
  const year_month_day today{floor<days>(system_clock::now())};
  const year_month last = year_month{today.year(), today.month()} - months(1);
  char period[16];
  std::snprintf(period, sizeof period, "%04d-%02u", static_cast<int>(last.year()),
                static_cast<unsigned>(last.month()));
  return period;
}

// A file being written under a temporary name in `dir`, removed unless Commit() renames it.
class AtomicFile {
 public:
  explicit AtomicFile(const fs::path& dir) : tmp_((dir / ".export-XXXXXX").string()) {
    const int fd = ::mkstemp(tmp_.data());
    if (fd >= 0) f_ = ::fdopen(fd, "wb");
  }
  ~AtomicFile() {
    if (f_) std::fclose(f_);
    if (!committed_) std::remove(tmp_.c_str());
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  bool ok() const { return f_ != nullptr; }
  const std::string& temporary_path() const { return tmp_; }
  bool Write(std::string_view piece) { return std::fwrite(piece.data(), 1, piece.size(), f_) == piece.size(); }

  // Flushes the file to disk and renames it to `path` (replacing any file there at once).
  bool Commit(const fs::path& path) {
    const bool written = std::fflush(f_) == 0 && ::fsync(::fileno(f_)) == 0;
    const bool closed = std::fclose(f_) == 0;
    f_ = nullptr;
    committed_ = written && closed && std::rename(tmp_.c_str(), path.c_str()) == 0;
    return committed_;
  }

 private:
  std::string tmp_;
  std::FILE* f_ = nullptr;
  bool committed_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  const std::string format = argc > 1 ? argv[1] : "csv";
  const fs::path dir = fs::absolute(argc > 2 ? argv[2] : ".");
  if (format != "csv" && format != "jsonl" && format != "focus") {
    std::cerr << "usage: export_costs [csv|jsonl|focus] [DIRECTORY]\n";
    return 2;
  }
  auto settings = gaon::ResolveSettings();
  auto client = settings.ok() ? gaon::Client::Create(settings->options) : settings.status();
  if (!client.ok() || !settings->tenant) {
    std::cerr << (client.ok() ? "set GAON_TENANT to the tenant whose costs to export" : client.status().ToString())
              << "\n";
    return 1;
  }

  AtomicFile out(dir);
  if (!out.ok()) {
    std::cerr << "cannot write in " << dir.string() << "\n";
    return 1;
  }
  const gaon::ExportQuery query{.period = LastMonth(), .format = format};
  // The export streams in constant memory however many rows there are; the SDK retries only
  // what fails before the first byte, and a transfer that breaks later is an error
  // (export_incomplete), never a short file.
  auto exported = client->ExportBilling(*settings->tenant, query, [&out](std::string_view piece) {
    return out.Write(piece);  // false (a full disk) stops the export
  });
  if (!exported.ok()) {
    std::cerr << "export failed: " << exported.status().ToString() << "\n";
    return 1;
  }
  // The server names the file; only its last component is used, so it lands in `dir`.
  const fs::path name = fs::path(exported->filename).filename();
  if (name.empty() || name == "." || name == "..") {
    std::cerr << "the server named the file '" << exported->filename << "'\n";
    return 1;
  }
  if (!out.Commit(dir / name)) {
    std::cerr << "cannot write " << (dir / name).string() << "\n";
    return 1;
  }
  std::cout << "wrote " << (dir / name).string() << " (" << query.period << ", " << exported->bytes << " bytes, "
            << exported->content_type << ")\n";
  return 0;
}
