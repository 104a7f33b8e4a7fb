#include "runtime/metrics/registry.hpp"

#include "runtime/metrics/families.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sophia::runtime::metrics {

namespace {

std::string escape(std::string_view x, bool in_help) {
  std::string out;
  out.reserve(x.size());
  for (char ch : x) {
    if (ch == '\\') out += "\\\\";
    else if (ch == '\n') out += "\\n";
    else if (ch == '"' && !in_help) out += "\\\"";
    else out += ch;
  }
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

const char* type_name(kind k) {
  switch (k) {
    case kind::counter: return "counter";
    case kind::gauge: return "gauge";
    case kind::histogram: return "histogram";
  }
  return "untyped";
}

/// `{a="x",le="0.5"}`: the series' labels plus one more.
std::string with_label(const std::string& text,
                       const char* key,
                       const std::string& value) {
  auto extra = std::string{ key } + "=\"" + value + "\"";
  if (text.empty()) return "{" + extra + "}";
  return text.substr(0, text.size() - 1) + "," + extra + "}";
}

} // namespace

const std::vector<double>& latency_buckets() {
  static const std::vector<double> b = { 0.001, 0.0025, 0.005, 0.01, 0.025,
                                         0.05,  0.1,    0.25,  0.5,  1,
                                         2.5,   5,      10,    30,   60 };
  return b;
}

std::string label_text(const labels& l) {
  if (l.empty()) return {};
  std::string out = "{";
  for (size_t i = 0; i < l.size(); ++i) {
    if (i > 0) out += ",";
    out += l[i].first + "=\"" + escape(l[i].second, false) + "\"";
  }
  return out + "}";
}

registry& registry::global() {
  static registry* r = [] {
    auto* x = new registry; // never destroyed: threads may still count at exit
    declare_families(*x);
    return x;
  }();
  return *r;
}

void registry::declare(std::string name,
                       kind k,
                       std::string help,
                       std::vector<double> buckets) {
  std::lock_guard<std::mutex> guard{ mtx_ };
  auto& f = families_[name];
  f.k = k;
  f.help = std::move(help);
  if (k == kind::histogram) f.buckets = std::move(buckets);
}

registry::family* registry::find(std::string_view name) {
  auto i = families_.find(name);
  return i == families_.end() ? nullptr : &i->second;
}

const std::shared_ptr<registry::series>& registry::in(family& f,
                                                      const labels& l) {
  auto& s = f.by_labels[label_text(l)];
  if (!s) s = std::make_shared<series>();
  return s;
}

void registry::record(series& s, const std::vector<double>& buckets, double v) {
  if (s.counts.empty()) s.counts.resize(buckets.size());
  auto at = std::lower_bound(buckets.begin(), buckets.end(), v);
  if (at != buckets.end()) ++s.counts[static_cast<size_t>(at - buckets.begin())];
  ++s.count;
  s.value += v;
}

void registry::add(std::string_view name, const labels& l, double v) {
  std::lock_guard<std::mutex> guard{ mtx_ };
  if (auto* f = find(name)) in(*f, l)->value += v;
}

void registry::set(std::string_view name, const labels& l, double v) {
  std::lock_guard<std::mutex> guard{ mtx_ };
  if (auto* f = find(name)) in(*f, l)->value = v;
}

void registry::remove(std::string_view name, const labels& l) {
  std::lock_guard<std::mutex> guard{ mtx_ };
  if (auto* f = find(name)) f->by_labels.erase(label_text(l));
}

void registry::observe(std::string_view name, const labels& l, double v) {
  std::lock_guard<std::mutex> guard{ mtx_ };
  if (auto* f = find(name)) record(*in(*f, l), f->buckets, v);
}

registry::handle registry::series_of(std::string_view name, const labels& l) {
  std::lock_guard<std::mutex> guard{ mtx_ };
  handle h;
  auto* f = find(name);
  if (f == nullptr) return h;
  h.reg_ = this;
  h.s_ = in(*f, l);
  h.buckets_ = &f->buckets;
  return h;
}

void registry::handle::add(double v) const {
  if (!s_) return;
  std::lock_guard<std::mutex> guard{ reg_->mtx_ };
  s_->value += v;
}

void registry::handle::set(double v) const {
  if (!s_) return;
  std::lock_guard<std::mutex> guard{ reg_->mtx_ };
  s_->value = v;
}

void registry::handle::observe(double v) const {
  if (!s_) return;
  std::lock_guard<std::mutex> guard{ reg_->mtx_ };
  record(*s_, *buckets_, v);
}

double registry::value(std::string_view name, const labels& l) const {
  std::lock_guard<std::mutex> guard{ mtx_ };
  auto i = families_.find(name);
  if (i == families_.end()) return 0;
  auto j = i->second.by_labels.find(label_text(l));
  return j == i->second.by_labels.end() ? 0 : j->second->value;
}

std::string registry::render() const {
  std::lock_guard<std::mutex> guard{ mtx_ };
  std::string out;
  for (auto& [name, f] : families_) {
    out += "# HELP " + name + " " + escape(f.help, true) + "\n";
    out += "# TYPE " + name + " " + type_name(f.k) + "\n";
    for (auto& [lbl, sp] : f.by_labels) {
      auto& s = *sp;
      if (f.k != kind::histogram) {
        out += name + lbl + " " + number(s.value) + "\n";
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i < f.buckets.size(); ++i) {
        cumulative += i < s.counts.size() ? s.counts[i] : 0;
        out += name + "_bucket" + with_label(lbl, "le", number(f.buckets[i])) +
               " " + std::to_string(cumulative) + "\n";
      }
      out += name + "_bucket" + with_label(lbl, "le", "+Inf") + " " +
             std::to_string(s.count) + "\n";
      out += name + "_sum" + lbl + " " + number(s.value) + "\n";
      out += name + "_count" + lbl + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

} // namespace sophia::runtime::metrics
