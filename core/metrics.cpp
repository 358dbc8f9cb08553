#include "core/metrics.h"

#include <cmath>
#include <cstdio>

namespace gaon {
namespace {

std::string FormatDouble(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%.9g", v);
  return std::string(buf, static_cast<std::size_t>(n));
}

void AppendEscapedLabel(std::string& out, const std::string& v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
}

std::string Labels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                   const std::string& extra = {}) {
  if (names.empty() && extra.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out.push_back(',');
    out += names[i] + "=\"";
    AppendEscapedLabel(out, values[i]);
    out.push_back('"');
  }
  if (!extra.empty()) {
    if (!names.empty()) out.push_back(',');
    out += extra;
  }
  out.push_back('}');
  return out;
}

void Header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), counts_(new std::atomic<std::uint64_t>[bounds->size() + 1]) {
  for (std::size_t i = 0; i <= bounds_->size(); ++i) counts_[i] = 0;
}

void Histogram::ObserveMicros(std::int64_t micros) {
  const double secs = static_cast<double>(micros) / 1e6;
  std::size_t i = 0;
  while (i < bounds_->size() && secs > (*bounds_)[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(micros, std::memory_order_relaxed);
}

void Histogram::Snapshot(std::vector<std::uint64_t>* cumulative, std::uint64_t* count, double* sum) const {
  cumulative->assign(bounds_->size() + 1, 0);
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i <= bounds_->size(); ++i) {
    acc += counts_[i].load(std::memory_order_relaxed);
    (*cumulative)[i] = acc;
  }
  *count = acc;
  *sum = static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
}

Family<Counter>& MetricsRegistry::AddCounter(std::string name, std::string help,
                                             std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  counters_.push_back(std::make_unique<Family<Counter>>(std::move(name), std::move(help), std::move(labels),
                                                        [] { return std::make_unique<Counter>(); }));
  return *counters_.back();
}

Family<Gauge>& MetricsRegistry::AddGauge(std::string name, std::string help, std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  gauges_.push_back(std::make_unique<Family<Gauge>>(std::move(name), std::move(help), std::move(labels),
                                                    [] { return std::make_unique<Gauge>(); }));
  return *gauges_.back();
}

Family<Histogram>& MetricsRegistry::AddHistogram(std::string name, std::string help,
                                                 std::vector<std::string> labels, std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  bounds_.push_back(std::make_unique<std::vector<double>>(std::move(bounds)));
  const std::vector<double>* b = bounds_.back().get();
  histograms_.push_back(std::make_unique<Family<Histogram>>(
      std::move(name), std::move(help), std::move(labels), [b] { return std::make_unique<Histogram>(b); }));
  return *histograms_.back();
}

void MetricsRegistry::AddCallbackGauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mu_);
  callbacks_.push_back({std::move(name), std::move(help), "gauge", std::move(read)});
}

void MetricsRegistry::AddCallbackCounter(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mu_);
  callbacks_.push_back({std::move(name), std::move(help), "counter", std::move(read)});
}

std::vector<double> MetricsRegistry::LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string MetricsRegistry::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& f : counters_) {
    Header(out, f->name(), f->help(), "counter");
    f->ForEach([&](const std::vector<std::string>& values, const Counter& c) {
      out += f->name() + Labels(f->labels(), values) + " " + std::to_string(c.value()) + "\n";
    });
  }
  for (const auto& f : gauges_) {
    Header(out, f->name(), f->help(), "gauge");
    f->ForEach([&](const std::vector<std::string>& values, const Gauge& g) {
      out += f->name() + Labels(f->labels(), values) + " " + std::to_string(g.value()) + "\n";
    });
  }
  for (const auto& g : callbacks_) {
    Header(out, g.name, g.help, g.type.c_str());
    out += g.name + " " + FormatDouble(g.read()) + "\n";
  }
  std::vector<std::uint64_t> cumulative;
  for (std::size_t h = 0; h < histograms_.size(); ++h) {
    const auto& f = histograms_[h];
    const std::vector<double>& bounds = *bounds_[h];
    Header(out, f->name(), f->help(), "histogram");
    f->ForEach([&](const std::vector<std::string>& values, const Histogram& hist) {
      std::uint64_t count = 0;
      double sum = 0;
      hist.Snapshot(&cumulative, &count, &sum);
      for (std::size_t i = 0; i <= bounds.size(); ++i) {
        const std::string le = "le=\"" + (i < bounds.size() ? FormatDouble(bounds[i]) : "+Inf") + "\"";
        out += f->name() + "_bucket" + Labels(f->labels(), values, le) + " " + std::to_string(cumulative[i]) + "\n";
      }
      out += f->name() + "_sum" + Labels(f->labels(), values) + " " + FormatDouble(sum) + "\n";
      out += f->name() + "_count" + Labels(f->labels(), values) + " " + std::to_string(count) + "\n";
    });
  }
  return out;
}

}  // namespace gaon
