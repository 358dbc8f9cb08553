// The Beast/Asio/OpenSSL side of the SDK. Asio and Beast themselves are compiled once, in
// asio_impl.cpp (separate compilation).
#include "internal/transport.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <limits>
#include <mutex>

namespace gaon::internal {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using beast::error_code;

constexpr std::uint64_t kMaxBodyBytes = 64ULL << 20;
constexpr std::uint64_t kMaxErrorBodyBytes = 1ULL << 20;
constexpr std::uint32_t kMaxHeaderBytes = 64 << 10;
// Idle connections older than this are not reused: the server closes them after its idle
// timeout (60 s by default), and one closing just as it is reused costs a retry.
constexpr auto kMaxIdleAge = std::chrono::seconds(30);
constexpr auto kStreamSlice = std::chrono::milliseconds(100);

bool IsBrokenConnection(const error_code& ec) {
  return ec == net::error::eof || ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::connection_aborted || ec == net::error::not_connected ||
         ec == ssl::error::stream_truncated;
}

std::string Where(const Endpoint& e) { return e.HostHeader(); }

// One connection: its own io_context (driven by whichever thread holds the connection) and a
// plain or TLS stream.
class Connection {
 public:
  explicit Connection(ssl::context* tls) {
    if (tls) {
      tls_.emplace(ioc_, *tls);
    } else {
      tcp_.emplace(ioc_);
    }
  }

  beast::tcp_stream& tcp() { return tls_ ? tls_->next_layer() : *tcp_; }
  ssl::stream<beast::tcp_stream>* tls() { return tls_ ? &*tls_ : nullptr; }
  beast::flat_buffer& buffer() { return buffer_; }
  net::io_context& ioc() { return ioc_; }

  // Calls `f` with the stream requests go over (TLS or plain).
  template <class F>
  error_code With(F&& f) {
    return tls_ ? f(*tls_) : f(*tcp_);
  }

  // Starts one operation with `start(handler)` and runs the io_context until it completes.
  // Timeouts come from the tcp_stream's expiry, set by the caller.
  template <class Start>
  error_code Run(Start&& start) {
    error_code result = net::error::would_block;
    bool done = false;
    start([&result, &done](error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    ioc_.restart();
    ioc_.run();
    assert(done);
    return result;
  }

  // Like Run, in slices, giving up (closing the connection) as soon as `abandon()` is true.
  // Returns nullopt when it gave up.
  template <class Start, class Abandon>
  std::optional<error_code> RunUnless(Start&& start, Abandon&& abandon) {
    error_code result = net::error::would_block;
    bool done = false;
    start([&result, &done](error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    while (!done) {
      ioc_.restart();
      ioc_.run_for(kStreamSlice);
      if (!done && abandon()) {
        error_code ignored;
        tcp().socket().close(ignored);
        ioc_.restart();
        ioc_.run();
        return std::nullopt;
      }
    }
    return result;
  }

  // False when the server has closed the idle connection or sent something unasked.
  bool LooksAlive() {
    pollfd p{tcp().socket().native_handle(), POLLIN | POLLRDHUP, 0};
    return ::poll(&p, 1, 0) == 0;
  }

  Clock::time_point idle_since{};

 private:
  net::io_context ioc_{1};
  std::optional<beast::tcp_stream> tcp_;
  std::optional<ssl::stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
};

HttpResponse ToResponse(bhttp::response_header<>& head) {
  HttpResponse r;
  r.status = static_cast<int>(head.result_int());
  for (const auto& f : head) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  return r;
}

}  // namespace

bool HeaderNameEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (HeaderNameEquals(k, name)) return v;
  }
  return std::nullopt;
}

struct Transport::Impl {
  TransportOptions options;
  std::unique_ptr<ssl::context> tls;
  std::mutex mu;
  std::vector<std::unique_ptr<Connection>> idle;  // most recently used last

  std::unique_ptr<Connection> TakeIdle() {
    std::lock_guard lock(mu);
    while (!idle.empty()) {
      std::unique_ptr<Connection> c = std::move(idle.back());
      idle.pop_back();
      if (Clock::now() - c->idle_since < kMaxIdleAge && c->LooksAlive()) return c;
    }
    return nullptr;
  }

  void PutIdle(std::unique_ptr<Connection> c) {
    c->idle_since = Clock::now();
    std::lock_guard lock(mu);
    if (static_cast<int>(idle.size()) < options.pool_size) idle.push_back(std::move(c));
  }

  Status ConnectError(const std::string& what, const error_code& ec, Deadline deadline) const {
    if (Clock::now() >= deadline) {
      return DeadlineExceeded("the call's deadline passed while connecting to " + Where(options.endpoint),
                              "deadline_exceeded");
    }
    return Unavailable("cannot " + what + " " + Where(options.endpoint) + ": " + ec.message(), "connection_failed");
  }

  Status TlsError(Connection& c, const error_code& ec) const {
    if (IsBrokenConnection(ec)) {
      return Unavailable("the connection to " + Where(options.endpoint) + " broke during the TLS handshake: " +
                             ec.message(),
                         "connection_reset");
    }
    std::string detail = ec.message();
    const long verify = SSL_get_verify_result(c.tls()->native_handle());
    if (verify != X509_V_OK) detail += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
    return FailedPrecondition("TLS handshake with " + Where(options.endpoint) + " failed: " + detail, "tls_failed");
  }

  // Opens a new connection (TCP, then TLS) before `deadline` or the connect timeout.
  StatusOr<std::unique_ptr<Connection>> Connect(Deadline deadline) {
    auto c = std::make_unique<Connection>(tls.get());
    const Deadline connect_by = std::min(deadline, Clock::now() + options.connect_timeout);
    const Endpoint& e = options.endpoint;
    tcp::resolver resolver(c->ioc());
    tcp::resolver::results_type addresses;
    error_code ec = net::error::would_block;
    resolver.async_resolve(e.host, e.port, [&](error_code r, tcp::resolver::results_type found) {
      ec = r;
      addresses = std::move(found);
    });
    c->ioc().restart();
    c->ioc().run_until(connect_by);
    if (ec == net::error::would_block) {
      resolver.cancel();
      c->ioc().restart();
      c->ioc().run();
      return ConnectError("resolve", net::error::timed_out, deadline);
    }
    if (ec) return ConnectError("resolve", ec, deadline);
    c->tcp().expires_at(connect_by);
    ec = c->Run([&](auto handler) { c->tcp().async_connect(addresses, std::move(handler)); });
    if (ec) return ConnectError("connect to", ec, deadline);
    c->tcp().socket().set_option(tcp::no_delay(true), ec);
    if (auto* s = c->tls()) {
      if (options.verify_tls) {
        s->set_verify_mode(ssl::verify_peer);
        s->set_verify_callback(ssl::host_name_verification(e.host));
      } else {
        s->set_verify_mode(ssl::verify_none);
      }
      // SNI names hosts only, never addresses (RFC 6066).
      if (!e.host_is_ip) SSL_set_tlsext_host_name(s->native_handle(), e.host.c_str());
      ec = c->Run([&](auto handler) { s->async_handshake(ssl::stream_base::client, std::move(handler)); });
      if (ec == beast::error::timeout) return ConnectError("complete the TLS handshake with", ec, deadline);
      if (ec) return TlsError(*c, ec);
    }
    return c;
  }

  Status ExchangeError(const error_code& ec, Deadline deadline) const {
    const std::string where = Where(options.endpoint);
    if (ec == beast::error::timeout || Clock::now() >= deadline) {
      return DeadlineExceeded("no complete answer from " + where + " before the call's deadline", "deadline_exceeded");
    }
    if (ec == bhttp::error::body_limit) {
      return ResourceExhausted("the answer from " + where + " is larger than 64 MiB", "response_too_large");
    }
    if (IsBrokenConnection(ec) || ec.category() == net::error::get_system_category()) {
      return Unavailable("the connection to " + where + " broke: " + ec.message(), "connection_reset");
    }
    if (ec.category() == ssl::error::get_stream_category() || ec.category() == net::error::get_ssl_category()) {
      return Unavailable("TLS failure talking to " + where + ": " + ec.message(), "connection_reset");
    }
    return FailedPrecondition("the answer from " + where + " is not HTTP/1.1 (" + ec.message() +
                                  "); is the endpoint's scheme (http/https) right?",
                              "protocol_error");
  }

  bhttp::request<bhttp::string_body> MakeRequest(const HttpRequest& request) const {
    bhttp::request<bhttp::string_body> req;
    req.method_string(request.method);
    req.target(request.target);
    req.version(11);
    req.set(bhttp::field::host, options.endpoint.HostHeader());
    for (const auto& [k, v] : request.headers) req.set(k, v);
    req.body() = request.body;
    req.keep_alive(true);
    req.prepare_payload();
    return req;
  }

  // One exchange on `c`. `*answered` tells whether any byte of an answer arrived.
  StatusOr<HttpResponse> Exchange(Connection& c, const HttpRequest& request, Deadline deadline, bool* answered,
                                  bool* keep_alive) {
    auto req = MakeRequest(request);
    c.tcp().expires_at(deadline);
    error_code ec = c.With([&](auto& stream) {
      return c.Run([&](auto handler) { bhttp::async_write(stream, req, std::move(handler)); });
    });
    if (ec) return ExchangeError(ec, deadline);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxBodyBytes);
    parser.header_limit(kMaxHeaderBytes);
    ec = c.With([&](auto& stream) {
      return c.Run([&](auto handler) { bhttp::async_read(stream, c.buffer(), parser, std::move(handler)); });
    });
    *answered = parser.got_some() || c.buffer().size() > 0;
    if (ec) return ExchangeError(ec, deadline);
    auto& msg = parser.get();
    HttpResponse r = ToResponse(msg.base());
    r.body = std::move(msg.body());
    *keep_alive = msg.keep_alive();
    return r;
  }
};

Transport::Transport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Transport::~Transport() = default;

StatusOr<std::shared_ptr<Transport>> Transport::Create(TransportOptions options) {
  auto impl = std::make_unique<Impl>();
  if (options.endpoint.tls) {
    impl->tls = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(impl->tls->native_handle(), TLS1_2_VERSION);
    error_code ec;
    if (!options.ca_file.empty()) {
      impl->tls->load_verify_file(options.ca_file, ec);
      if (ec) {
        return InvalidArgument("cannot load the CA file '" + options.ca_file + "': " + ec.message(),
                               "invalid_ca_file");
      }
    } else {
      impl->tls->set_default_verify_paths(ec);
    }
  }
  impl->options = std::move(options);
  return std::shared_ptr<Transport>(new Transport(std::move(impl)));
}

StatusOr<HttpResponse> Transport::Send(const HttpRequest& request, Deadline deadline) {
  Impl& d = *impl_;
  for (;;) {
    std::unique_ptr<Connection> c = d.TakeIdle();
    const bool reused = c != nullptr;
    if (!c) {
      ASSIGN_OR_RETURN(c, d.Connect(deadline));
    }
    bool answered = false, keep_alive = false;
    auto r = d.Exchange(*c, request, deadline, &answered, &keep_alive);
    // A kept-alive connection the server closed just before we used it: nothing reached the
    // server's handler, so the request goes again on another connection, uncounted.
    if (!r.ok() && reused && !answered && r.status().reason() == "connection_reset") continue;
    if (r.ok() && keep_alive) d.PutIdle(std::move(c));
    return r;
  }
}

StatusOr<HttpResponse> Transport::Stream(const HttpRequest& request, Deadline head_deadline,
                                         std::chrono::milliseconds idle_timeout, const std::stop_token& stop,
                                         Deadline stream_deadline,
                                         const std::function<bool(std::string_view)>& on_data) {
  Impl& d = *impl_;
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> c, d.Connect(head_deadline));
  auto req = d.MakeRequest(request);
  req.keep_alive(false);
  c->tcp().expires_at(head_deadline);
  error_code ec = c->With([&](auto& stream) {
    return c->Run([&](auto handler) { bhttp::async_write(stream, req, std::move(handler)); });
  });
  if (ec) return d.ExchangeError(ec, head_deadline);
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit((std::numeric_limits<std::uint64_t>::max)());
  parser.header_limit(kMaxHeaderBytes);
  ec = c->With([&](auto& stream) {
    return c->Run([&](auto handler) { bhttp::async_read_header(stream, c->buffer(), parser, std::move(handler)); });
  });
  if (ec) return d.ExchangeError(ec, head_deadline);
  HttpResponse head = ToResponse(parser.get().base());
  const bool streaming = head.status == 200;
  auto abandon = [&] { return stop.stop_requested() || Clock::now() >= stream_deadline; };
  char buf[16 * 1024];
  while (!parser.is_done()) {
    parser.get().body().data = buf;
    parser.get().body().size = sizeof(buf);
    if (streaming) {
      c->tcp().expires_after(idle_timeout);
    } else {
      c->tcp().expires_at(head_deadline);
    }
    auto result = c->RunUnless(
        [&](auto handler) {
          c->With([&](auto& stream) {
            // read_some: an event is delivered as soon as it arrives; async_read would wait
            // until the 16 KiB buffer fills or the stream ends.
            bhttp::async_read_some(stream, c->buffer(), parser, std::move(handler));
            return error_code();
          });
        },
        abandon);
    if (!result) return head;  // stopped, or past the stream's deadline
    ec = *result == bhttp::error::need_buffer ? error_code() : *result;
    const std::size_t n = sizeof(buf) - parser.get().body().size;
    if (streaming && n > 0 && !on_data(std::string_view(buf, n))) return head;
    if (!streaming) {
      head.body.append(buf, n);
      if (head.body.size() > kMaxErrorBodyBytes) break;
    }
    if (ec == beast::error::timeout && streaming) {
      return Unavailable("nothing arrived on the stream from " + Where(d.options.endpoint) + " for " +
                             std::to_string(idle_timeout.count() / 1000) + " s",
                         "connection_reset");
    }
    if (ec) return d.ExchangeError(ec, head_deadline);
  }
  return head;
}

}  // namespace gaon::internal
