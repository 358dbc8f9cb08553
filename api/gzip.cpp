#include "api/gzip.h"

#include <zlib.h>

#include <stdexcept>
#include <string>

namespace gaon::api {

struct GzipWriter::State {
  z_stream z{};
  std::string buffer = std::string(64 * 1024, '\0');
};

GzipWriter::GzipWriter(Sink out) : s_(std::make_unique<State>()), out_(std::move(out)) {
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&s_->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("zlib could not start a gzip stream");
  }
}

GzipWriter::~GzipWriter() { deflateEnd(&s_->z); }

bool GzipWriter::Write(std::string_view data) { return Pump(data, Z_NO_FLUSH); }

bool GzipWriter::Finish() { return Pump({}, Z_FINISH); }

bool GzipWriter::Pump(std::string_view data, int flush) {
  z_stream& z = s_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(s_->buffer.data());
    z.avail_out = static_cast<uInt>(s_->buffer.size());
    const int rc = deflate(&z, flush);
    if (rc == Z_STREAM_ERROR) return false;
    const std::size_t produced = s_->buffer.size() - z.avail_out;
    if (produced > 0 && !out_(std::string_view(s_->buffer.data(), produced))) return false;
    if (flush == Z_FINISH ? rc == Z_STREAM_END : (z.avail_in == 0 && z.avail_out != 0)) return true;
  }
}

}  // namespace gaon::api
