// A gzip (RFC 1952) compressor in front of a byte sink, for streamed downloads: it holds no
// more than zlib's window and one output buffer, whatever the size of what passes through.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

namespace gaon::api {

class GzipWriter {
 public:
  using Sink = std::function<bool(std::string_view)>;
  explicit GzipWriter(Sink out);
  ~GzipWriter();
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;
  // False once the sink refused (the reader left).
  bool Write(std::string_view data);
  // Writes what is left and the gzip trailer.
  bool Finish();

 private:
  bool Pump(std::string_view data, int flush);
  struct State;
  std::unique_ptr<State> s_;
  Sink out_;
};

}  // namespace gaon::api
