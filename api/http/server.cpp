#include "api/http/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/log.h"

namespace gaon::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

constexpr std::size_t kStreamChunkBytes = 64 * 1024;
// What one read takes in while a kept-alive connection waits for its next request.
constexpr std::size_t kFirstReadBytes = 4096;

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Close now if idle, else after the response in flight. Any thread.
  virtual void Drain() = 0;
};

// Splits "host:port"; the host may be an IPv6 literal in brackets.
bool SplitHostPort(const std::string& s, std::string* host, unsigned short* port) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  *host = s.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  *port = static_cast<unsigned short>(std::stoi(s.substr(colon + 1)));
  return true;
}

}  // namespace

struct HttpServer::Impl {
  ServerConfig config;
  RequestHandler* handler = nullptr;
  std::vector<std::unique_ptr<net::io_context>> iocs;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<ssl::context> tls;
  std::string bound;
  std::size_t next_ioc = 0;

  std::atomic<int> connections{0};
  std::atomic<int> in_flight{0};
  std::atomic<bool> draining{false};
  std::atomic<bool> stopped{false};

  std::mutex mu;
  std::condition_variable idle_cv;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;

  void Accept();
  void RejectOverload(tcp::socket socket);
  void Register(const std::shared_ptr<SessionBase>& s) {
    std::lock_guard lock(mu);
    sessions[s.get()] = s;
  }
  void Unregister(SessionBase* s) {
    std::lock_guard lock(mu);
    sessions.erase(s);
  }
  void RequestDone() {
    if (in_flight.fetch_sub(1) == 1) {
      std::lock_guard lock(mu);
      idle_cv.notify_all();
    }
  }
  std::string RejectText(int status, std::string_view code, std::string_view detail, std::string* content_type,
                         const std::string& request_id) {
    HttpResponse r = handler->Reject(status, code, detail, request_id);
    *content_type = r.content_type;
    return r.body;
  }
};

namespace {

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  Session(Stream stream, HttpServer::Impl& server, std::string remote)
      : stream_(std::move(stream)), server_(server), remote_(std::move(remote)) {}

  ~Session() override {
    if (counted_) server_.RequestDone();
    server_.connections.fetch_sub(1);
    server_.Unregister(this);
  }

  void Start() {
    server_.Register(this->shared_from_this());
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        beast::get_lowest_layer(self->stream_).expires_after(self->server_.config.read_timeout);
        self->stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->Close();
          self->DoRead();
        });
      } else {
        self->DoRead();
      }
    });
  }

  void Drain() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (!self->busy_) self->Close();
    });
  }

 private:
  void DoRead() {
    if (server_.draining) return Close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.config.max_header_bytes));
    parser_->body_limit(static_cast<std::uint64_t>(server_.config.max_body_bytes));
    if (first_ || buffer_.size() > 0) return ReadHeader();
    // Between requests a kept-alive connection may idle for idle_timeout; once the next
    // request starts arriving it has read_timeout, like the first, so a head sent half-way
    // cannot hold the connection for the idle timeout.
    beast::get_lowest_layer(stream_).expires_after(server_.config.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    beast::get_lowest_layer(stream_).expires_after(server_.config.read_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               self->OnHeader(ec);
                             });
  }

  void OnHeader(beast::error_code ec) {
    first_ = false;
    if (ec == bhttp::error::body_limit) {  // a declared Content-Length over the limit
      return RejectAndClose(413, "payload_too_large",
                            "the request body is larger than " + std::to_string(server_.config.max_body_bytes) +
                                " bytes");
    }
    if (ec == bhttp::error::header_limit) {
      return RejectAndClose(431, "header_too_large",
                            "the request head is larger than " +
                                std::to_string(server_.config.max_header_bytes) + " bytes");
    }
    if (ec) {
      // Syntax errors get an answer; timeouts and hang-ups just end the connection.
      if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
          ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
        return RejectAndClose(400, "bad_request", "malformed HTTP request: " + ec.message());
      }
      return Close();
    }
    busy_ = true;
    if (parser_->is_done()) return Dispatch();  // no body (GET, DELETE, …): no second read
    const auto& req = parser_->get();
    if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, req.version());
      beast::get_lowest_layer(stream_).expires_after(server_.config.read_timeout);
      bhttp::async_write(stream_, *cont, [self = this->shared_from_this(), cont](beast::error_code wec, std::size_t) {
        if (wec) return self->Close();
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    beast::get_lowest_layer(stream_).expires_after(server_.config.read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->OnBody(ec);
    });
  }

  void OnBody(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      return RejectAndClose(413, "payload_too_large",
                            "the request body is larger than " + std::to_string(server_.config.max_body_bytes) +
                                " bytes");
    }
    if (ec) return Close();
    Dispatch();
  }

  void Dispatch() {
    auto msg = parser_->release();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.remote_address = remote_;
    req.tls = kTls;
    req.headers.reserve(8);
    for (const auto& f : msg) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    const auto rid = req.Header("X-Request-Id");
    req.request_id = rid && IsWellFormedRequestId(*rid) ? std::string(*rid) : NewRequestId();
    request_id_ = req.request_id;
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    req.body = std::move(msg.body());

    auto url = boost::urls::parse_origin_form(req.target);
    if (!url) return RejectAndClose(400, "bad_request", "the request target is not a valid path and query");
    req.path = std::string(url->encoded_path());
    try {
      for (const auto& p : url->params()) req.query.emplace_back(p.key, p.value);
    } catch (const std::exception&) {
      return RejectAndClose(400, "bad_request", "the query string is malformed");
    }

    counted_ = true;
    server_.in_flight.fetch_add(1);
    auto self = this->shared_from_this();
    server_.handler->Handle(std::move(req), [self](HttpResponse res) {
      if (res.stream) return self->RunStream(std::move(res));
      net::dispatch(self->stream_.get_executor(),
                    [self, res = std::move(res)]() mutable { self->Write(std::move(res)); });
    });
  }

  template <typename Message>
  void Fill(Message& h, const HttpResponse& res, bool keep_alive) {
    h.result(static_cast<unsigned>(res.status));
    h.version(version_);
    h.set(bhttp::field::content_type, res.content_type);
    h.set("X-Request-Id", request_id_);
    for (const auto& [k, v] : res.headers) h.insert(k, v);
    h.keep_alive(keep_alive);
  }

  void Write(HttpResponse res) {
    const bool keep = keep_alive_ && !res.close && !server_.draining;
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    Fill(*out, res, keep);
    out->body() = std::move(res.body);
    out->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(server_.config.read_timeout);
    bhttp::async_write(stream_, *out, [self = this->shared_from_this(), out, keep](beast::error_code ec, std::size_t) {
      self->Finished();
      if (!ec && self->linger_) return self->LingerClose();
      if (ec || !keep) return self->Close();
      self->DoRead();
    });
  }

  // After refusing a request whose body may still be arriving, stop sending but keep reading
  // (and discarding) for a moment: closing with unread data would reset the connection and
  // the client might never see the 413/431.
  void LingerClose() {
    if constexpr (kTls) {
      Close();
    } else {
      beast::error_code ec;
      beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      Discard(0);
    }
  }

  void Discard(std::size_t total) {
    auto sink = std::make_shared<std::array<char, 16384>>();
    beast::get_lowest_layer(stream_).async_read_some(
        net::buffer(*sink), [self = this->shared_from_this(), sink, total](beast::error_code ec, std::size_t n) {
          if (ec || total + n > (8u << 20)) return self->Close();
          self->Discard(total + n);
        });
  }

  void RejectAndClose(int status, std::string_view code, const std::string& detail) {
    if (request_id_.empty()) request_id_ = NewRequestId();
    if (version_ == 0) version_ = 11;
    HttpResponse res;
    res.status = status;
    res.body = server_.RejectText(status, code, detail, &res.content_type, request_id_);
    res.close = true;
    linger_ = true;
    busy_ = true;
    counted_ = true;
    server_.in_flight.fetch_add(1);
    Write(std::move(res));
  }

  void Finished() {
    busy_ = false;
    if (counted_) {
      counted_ = false;
      server_.RequestDone();
    }
  }

  // --- streaming: runs on the producer's thread, hops to the I/O thread for each write.
  class Writer final : public ResponseStream {
   public:
    explicit Writer(std::shared_ptr<Session> s) : s_(std::move(s)) {}
    bool Write(std::string_view data) override {
      if (failed_) return false;
      buf_.append(data);
      return buf_.size() < kStreamChunkBytes || Flush();
    }
    bool Flush() override {
      if (failed_ || buf_.empty()) return !failed_;
      auto chunk = std::make_shared<std::string>(std::move(buf_));
      buf_.clear();
      return Send([chunk](Session& s, std::function<void(bool)> done) {
        net::async_write(s.stream_, bhttp::make_chunk(net::buffer(*chunk)),
                         [chunk, done](beast::error_code ec, std::size_t) { done(!ec); });
      });
    }
    bool closing() const override { return failed_ || s_->server_.draining; }
    void Abort() override {
      buf_.clear();
      failed_ = true;
    }
    bool Finish() {
      if (!Flush()) return false;
      return Send([](Session& s, std::function<void(bool)> done) {
        net::async_write(s.stream_, bhttp::make_chunk_last(), [done](beast::error_code ec, std::size_t) { done(!ec); });
      });
    }
    bool SendHeader(std::shared_ptr<bhttp::response<bhttp::empty_body>> head) {
      return Send([head](Session& s, std::function<void(bool)> done) {
        auto sr = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*head);
        bhttp::async_write_header(s.stream_, *sr, [head, sr, done](beast::error_code ec, std::size_t) { done(!ec); });
      });
    }

   private:
    template <typename Op>
    bool Send(Op op) {
      if (s_->server_.stopped) return failed_ = true, false;
      // Shared: after the shutdown deadline this thread may stop waiting before the I/O
      // thread gets to the write.
      auto p = std::make_shared<std::promise<bool>>();
      auto f = p->get_future();
      net::post(s_->stream_.get_executor(), [s = s_, p, op] {
        beast::get_lowest_layer(s->stream_).expires_after(s->server_.config.read_timeout);
        op(*s, [p](bool ok) { p->set_value(ok); });
      });
      while (f.wait_for(std::chrono::milliseconds(200)) != std::future_status::ready) {
        if (s_->server_.stopped) return failed_ = true, false;
      }
      if (!f.get()) failed_ = true;
      return !failed_;
    }
    std::shared_ptr<Session> s_;
    std::string buf_;
    bool failed_ = false;
  };

  void RunStream(HttpResponse res) {
    auto self = this->shared_from_this();
    auto head = std::make_shared<bhttp::response<bhttp::empty_body>>();
    Fill(*head, res, false);
    head->chunked(true);
    Writer w(self);
    bool ok = w.SendHeader(head);
    if (ok) {
      res.stream(w);
      ok = w.Finish();
    }
    net::post(stream_.get_executor(), [self] {
      self->Finished();
      self->Close();  // streamed responses end the connection: simpler and never ambiguous
    });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    auto& sock = beast::get_lowest_layer(stream_).socket();
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
  }

  Stream stream_;
  HttpServer::Impl& server_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string request_id_;
  unsigned version_ = 0;
  bool keep_alive_ = true;
  bool first_ = true;
  bool busy_ = false;
  bool counted_ = false;
  bool closed_ = false;
  bool linger_ = false;
};

}  // namespace

void HttpServer::Impl::RejectOverload(tcp::socket socket) {
  std::string content_type;
  const std::string rid = NewRequestId();
  const std::string body =
      RejectText(503, "too_many_connections", "the server has too many open connections; retry later",
                 &content_type, rid);
  auto text = std::make_shared<std::string>(
      "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nX-Request-Id: " + rid +
      "\r\nContent-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  auto sock = std::make_shared<tcp::socket>(std::move(socket));
  net::async_write(*sock, net::buffer(*text), [sock, text](beast::error_code, std::size_t) {
    beast::error_code ec;
    sock->shutdown(tcp::socket::shutdown_both, ec);
    sock->close(ec);
  });
}

void HttpServer::Impl::Accept() {
  net::io_context& target = *iocs[next_ioc++ % iocs.size()];
  acceptor->async_accept(target, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
    if (!ec) {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      const auto ep = socket.remote_endpoint(ignored);
      std::string remote = ignored ? std::string() : ep.address().to_string();
      if (connections.fetch_add(1) >= config.max_connections) {
        connections.fetch_sub(1);
        RejectOverload(std::move(socket));
      } else if (tls) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls), *this, std::move(remote))
            ->Start();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), *this, std::move(remote))
            ->Start();
      }
    } else {
      LogWarn("accept failed", {{"error", ec.message()}});
    }
    Accept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  Shutdown(std::chrono::milliseconds(0));
  // Sessions still queued in the contexts unregister themselves when destroyed: destroy the
  // contexts while the rest of Impl is alive.
  impl_->acceptor.reset();
  impl_->iocs.clear();
}

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(const ServerConfig& config, RequestHandler* handler) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->handler = handler;
  int n = config.io_threads > 0 ? config.io_threads : static_cast<int>(std::thread::hardware_concurrency());
  n = std::max(1, n);
  for (int i = 0; i < n; ++i) {
    impl->iocs.push_back(std::make_unique<net::io_context>(1));
    impl->guards.push_back(net::make_work_guard(*impl->iocs.back()));
  }
  if (config.tls.enabled()) {
    impl->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    try {
      impl->tls->set_options(ssl::context::default_workarounds | ssl::context::single_dh_use);
      // The one setting that refuses SSL 3, TLS 1.0 and 1.1, whatever the system's OpenSSL
      // configuration allows (the e2e TLS test proves it).
      if (SSL_CTX_set_min_proto_version(impl->tls->native_handle(), TLS1_2_VERSION) != 1) {
        return Internal("server.tls: OpenSSL refused TLS 1.2 as the minimum protocol", "tls_setup_failed");
      }
      impl->tls->use_certificate_chain_file(config.tls.cert_file);
      impl->tls->use_private_key_file(config.tls.key_file, ssl::context::pem);
    } catch (const std::exception& e) {
      return InvalidArgument("server.tls: cannot load certificate or key: " + std::string(e.what()), "invalid_config");
    }
  }
  std::string host;
  unsigned short port = 0;
  if (!SplitHostPort(config.listen, &host, &port)) {
    return InvalidArgument("server.listen must be host:port", "invalid_config");
  }
  beast::error_code ec;
  const auto addr = net::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) return InvalidArgument("server.listen: '" + host + "' is not an IP address", "invalid_config");
  const tcp::endpoint ep(addr, port);
  impl->acceptor = std::make_unique<tcp::acceptor>(*impl->iocs[0]);
  impl->acceptor->open(ep.protocol(), ec);
  if (!ec) impl->acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor->bind(ep, ec);
  if (!ec) impl->acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Unavailable("cannot listen on " + config.listen + ": " + ec.message(), "listen_failed");
  const auto local = impl->acceptor->local_endpoint();
  impl->bound = (local.address().is_v6() ? "[" + local.address().to_string() + "]" : local.address().to_string()) +
                ":" + std::to_string(local.port());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::string HttpServer::address() const { return impl_->bound; }
bool HttpServer::tls() const { return impl_->tls != nullptr; }
int HttpServer::in_flight() const { return impl_->in_flight.load(); }
int HttpServer::open_connections() const { return impl_->connections.load(); }

void HttpServer::Start() {
  Impl& d = *impl_;
  net::post(*d.iocs[0], [&d] { d.Accept(); });
  for (auto& ioc : d.iocs) {
    d.threads.emplace_back([ioc = ioc.get()] { ioc->run(); });
  }
}

void HttpServer::Shutdown(std::chrono::milliseconds deadline, std::chrono::milliseconds answer_grace) {
  Impl& d = *impl_;
  if (d.draining.exchange(true)) return;
  if (d.threads.empty()) {
    beast::error_code ec;
    d.acceptor->close(ec);
  } else {
    std::promise<void> closed;
    net::post(*d.iocs[0], [&d, &closed] {
      beast::error_code ec;
      d.acceptor->close(ec);
      closed.set_value();
    });
    closed.get_future().wait();
  }
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(d.mu);
    for (auto& [_, weak] : d.sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->Drain();
  live.clear();
  const auto none_in_flight = [&d] { return d.in_flight.load() == 0; };
  {
    std::unique_lock lock(d.mu);
    if (!d.idle_cv.wait_for(lock, deadline, none_in_flight)) {
      LogWarn("shutdown deadline passed with requests in flight",
              {{"in_flight", d.in_flight.load()}, {"answer_grace_ms", static_cast<std::int64_t>(answer_grace.count())}});
      d.idle_cv.wait_for(lock, answer_grace, none_in_flight);
    }
  }
  if (const int left = d.in_flight.load(); left > 0) {
    LogWarn("requests abandoned at shutdown: their connections close without an answer", {{"requests", left}});
  }
  d.stopped = true;
  d.guards.clear();
  for (auto& ioc : d.iocs) ioc->stop();
  for (auto& t : d.threads) t.join();
  d.threads.clear();
}

}  // namespace gaon::http
