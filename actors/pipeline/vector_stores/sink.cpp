#include "actors/pipeline/vector_stores/sink.hpp"

#include <functional>
#include <memory>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/pipeline/vector_stores/pinecone.hpp"
#include "actors/pipeline/vector_stores/store_errors.hpp"
#include "actors/pipeline/vector_stores/weaviate.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/config/secrets.hpp"
#include "runtime/error.hpp"
#include "runtime/http/service_policy.hpp"

namespace sophia::actors::pipeline::vector_stores {

namespace http = runtime::http;
using nlohmann::json;
using runtime::errc;

caf::expected<store_kind> store_kind_of(const std::string& service) {
  if (service == "pinecone") return store_kind::pinecone;
  if (service == "weaviate") return store_kind::weaviate;
  return runtime::make_error(errc::not_found,
                             "[services." + service +
                               "] is not a vector store (pinecone, weaviate)");
}

caf::expected<sink_settings> sink_settings_of(
  const runtime::config::service_config& svc,
  const std::string& api_key) {
  auto kind = store_kind_of(svc.name);
  if (!kind) return kind.error();
  auto where = "[services." + svc.name + "] ";
  sink_settings s;
  s.service = svc.name;
  s.kind = *kind;
  s.api_key = api_key;
  s.secret_ref = svc.api_key;
  s.policy = http::policy_of(svc);
  s.base_url = svc.base_url;
  while (!s.base_url.empty() && s.base_url.back() == '/')
    s.base_url.pop_back();
  if (s.base_url.empty())
    return runtime::make_error(
      errc::bad_config,
      where + "base_url is not set: " +
        (*kind == store_kind::pinecone
           ? "the index's host, e.g. "
             "https://NAME-PROJECT.svc.REGION.pinecone.io"
           : "the cluster's root, e.g. https://CLUSTER.weaviate.cloud"));
  if (*kind == store_kind::pinecone) {
    if (api_key.empty())
      return runtime::make_error(errc::bad_config,
                                 where + "api_key is not set");
    s.collection = svc.collection;
  } else {
    // The builders' paths start with /v1, the root Weaviate documents.
    if (s.base_url.ends_with("/v1")) s.base_url.resize(s.base_url.size() - 3);
    auto cls = weaviate_class(svc.collection);
    if (!cls)
      return runtime::make_error(errc::bad_config,
                                 where + runtime::detail_of(cls.error()));
    s.collection = *cls;
  }
  return s;
}

namespace {

using settings_ptr = std::shared_ptr<const sink_settings>;

/// Turns a response of the store into what the exchange yields (a count).
using on_response =
  std::function<caf::expected<uint64_t>(const http::response&)>;

/// A sequence of exchanges for one message, made one at a time.
struct exchanges {
  std::vector<http_call> calls;
  size_t next = 0;
  uint64_t total = 0;
  on_response parse;
  caf::response_promise promise;
};

caf::error with_service(const sink_settings& s, const caf::error& err) {
  auto detail = runtime::detail_of(err);
  if (detail.rfind(s.service, 0) != 0) detail = s.service + ": " + detail;
  return runtime::make_error(runtime::code_of(err), std::move(detail));
}

/// The error of a transport failure (the HTTP client's text names the
/// service and the cause), with what to do where that is clear.
caf::error transport_error(const sink_settings& s, const caf::error& err) {
  auto code = runtime::code_of(err);
  auto detail = runtime::detail_of(err);
  if (detail.rfind(s.service, 0) != 0) detail = s.service + ": " + detail;
  auto table = "[services." + s.service + "] ";
  switch (code) {
    case errc::unavailable:
      detail += " (the store is failing; Sophia stopped sending it requests "
                "for a while)";
      break;
    case errc::deadline_exceeded:
      detail += " (raise " + table + "timeout_ms if the store is just slow)";
      break;
    case errc::unreachable:
      detail +=
        " (check " + table + "base_url " + s.base_url + " and the network)";
      break;
    case errc::none: code = errc::service_error; break;
    default: break;
  }
  return runtime::make_error(code,
                             runtime::config::redact(detail, { s.api_key }));
}

/// The error of a non-2xx response: the status and the store's message.
caf::error status_error(const sink_settings& s, const http::response& r) {
  auto message = s.kind == store_kind::pinecone ? pinecone_message(r.body)
                                                : weaviate_message(r.body);
  auto text = s.service + ": HTTP " + std::to_string(r.status) + ": " + message;
  if (r.status == 401 || r.status == 403)
    text += " (check the secret of [services." + s.service + "] api_key" +
            (s.secret_ref.empty() ? std::string{} : ", " + s.secret_ref) + ")";
  else if (r.status == 429 || r.status >= 500)
    text += " (after " + std::to_string(r.attempts) + " attempt" +
            (r.attempts == 1 ? "" : "s") + ")";
  else if (r.status == 404 && s.kind == store_kind::pinecone)
    text += " (is [services." + s.service + "] base_url the index's host?)";
  return runtime::make_error(errc::service_error,
                             runtime::config::redact(text, { s.api_key }));
}

bool ok_status(int status) {
  return status >= 200 && status <= 299;
}

http::request_ptr make_request(const sink_settings& s, const http_call& call) {
  http::request req;
  req.service = s.service;
  req.method = call.method;
  req.url = s.base_url + call.path;
  req.body = call.body;
  req.headers.emplace_back("accept", "application/json");
  if (!call.body.empty())
    req.headers.emplace_back("content-type", "application/json");
  if (s.kind == store_kind::pinecone) {
    req.headers.emplace_back("api-key", s.api_key);
    req.headers.emplace_back("x-pinecone-api-version",
                             std::string{ pinecone_api_version });
  } else if (!s.api_key.empty()) {
    req.headers.emplace_back("authorization", "Bearer " + s.api_key);
  }
  // Every exchange here may be repeated: upserts and deletes by id
  // overwrite or find nothing the second time, queries only read.
  req.retry = true;
  return std::make_shared<const http::request>(std::move(req));
}

void next_exchange(caf::event_based_actor* self,
                   caf::actor http_client,
                   settings_ptr s,
                   std::shared_ptr<exchanges> x) {
  if (x->next == x->calls.size()) {
    x->promise.deliver(x->total);
    return;
  }
  auto req = make_request(*s, x->calls[x->next++]);
  self->request(http_client, caf::infinite, http::fetch::value, req)
    .then(
      [self, http_client, s, x](const http::response_ptr& r) {
        auto n = x->parse(*r);
        if (!n) {
          auto err = with_service(*s, n.error());
          if (x->total > 0 && x->next > 1)
            err = runtime::make_error(runtime::code_of(err),
                                      runtime::detail_of(err) + " (" +
                                        std::to_string(x->total) +
                                        " stored or deleted before)");
          x->promise.deliver(std::move(err));
          return;
        }
        x->total += *n;
        next_exchange(self, http_client, s, x);
      },
      [s, x](caf::error& err) {
        x->promise.deliver(transport_error(*s, err));
      });
}

caf::result<uint64_t> start(caf::event_based_actor* self,
                            const caf::actor& http_client,
                            const settings_ptr& s,
                            std::vector<http_call> calls,
                            on_response parse) {
  auto x = std::make_shared<exchanges>();
  x->calls = std::move(calls);
  x->parse = std::move(parse);
  x->promise = self->make_response_promise();
  next_exchange(self, http_client, s, std::move(x));
  return caf::delegated<uint64_t>{};
}

caf::error rejected(const sink_settings& s, const std::string& why) {
  return runtime::make_error(errc::rejected, s.service + ": " + why);
}

caf::result<std::string> run_query(caf::event_based_actor* self,
                                   const caf::actor& http_client,
                                   const settings_ptr& s,
                                   query q) {
  auto call = s->kind == store_kind::pinecone
                ? pinecone_query(q, s->collection)
                : weaviate_query(q, s->collection);
  if (!call) return with_service(*s, call.error());
  auto promise = self->make_response_promise();
  self
    ->request(
      http_client, caf::infinite, http::fetch::value, make_request(*s, *call))
    .then(
      [s, promise](const http::response_ptr& r) mutable {
        if (!ok_status(r->status)) {
          promise.deliver(status_error(*s, *r));
          return;
        }
        auto ms = s->kind == store_kind::pinecone
                    ? parse_pinecone_query(r->body)
                    : parse_weaviate_query(r->body, s->collection);
        if (!ms)
          promise.deliver(with_service(*s, ms.error()));
        else
          promise.deliver(dump_json(to_json(*ms)));
      },
      [s, promise](caf::error& err) mutable {
        promise.deliver(transport_error(*s, err));
      });
  return caf::delegated<std::string>{};
}

caf::behavior sink(caf::event_based_actor* self,
                   caf::actor http_client,
                   settings_ptr s) {
  self->send(http_client, http::configure::value, s->service, s->policy);
  return {
    // The client's answer to `configure`.
    [](caf::ok_atom) {},
    [self, http_client, s](atoms::upsert,
                           const std::string& text) -> caf::result<uint64_t> {
      auto in = json::parse(text, nullptr, false);
      std::vector<chunk> chunks;
      std::string why;
      if (in.is_discarded())
        return rejected(*s, "upsert: the chunks are not valid JSON");
      if (!chunks_from_json(in, chunks, why))
        return rejected(*s, "upsert: " + why);
      auto calls = s->kind == store_kind::pinecone
                     ? pinecone_upsert(chunks, s->collection)
                     : weaviate_batch(chunks, s->collection);
      if (!calls) return with_service(*s, calls.error());
      auto kind = s->kind;
      auto parse = [s,
                    kind](const http::response& r) -> caf::expected<uint64_t> {
        if (!ok_status(r.status)) return status_error(*s, r);
        auto n = kind == store_kind::pinecone ? parse_pinecone_upsert(r.body)
                                              : parse_weaviate_batch(r.body);
        if (!n) return n.error();
        return static_cast<uint64_t>(*n);
      };
      return start(self, http_client, s, std::move(*calls), std::move(parse));
    },
    [self, http_client, s](atoms::query,
                           const std::vector<float>& values,
                           uint64_t k) -> caf::result<std::string> {
      query q;
      q.values = values;
      q.k = static_cast<size_t>(k);
      return run_query(self, http_client, s, std::move(q));
    },
    [self, http_client, s](
      atoms::query,
      const std::vector<float>& values,
      uint64_t k,
      const std::string& filter) -> caf::result<std::string> {
      query q;
      q.values = values;
      q.k = static_cast<size_t>(k);
      auto f = json::parse(filter, nullptr, false);
      if (!f.is_object())
        return rejected(*s, "query: the filter is not a JSON object");
      for (auto& [field, value] : f.items()) {
        if (!value.is_string())
          return rejected(
            *s, "query: filter values must be strings ('" + field + "')");
        q.filter.emplace_back(field, value.get<std::string>());
      }
      return run_query(self, http_client, s, std::move(q));
    },
    [self, http_client, s](atoms::remove, const std::vector<std::string>& ids)
      -> caf::result<uint64_t> {
      for (auto& id : ids)
        if (id.empty()) return rejected(*s, "delete: an id is empty");
      std::vector<http_call> calls;
      if (s->kind == store_kind::pinecone) {
        calls = pinecone_delete(ids, s->collection);
      } else {
        calls.reserve(ids.size());
        for (auto& id : ids)
          calls.push_back(weaviate_delete(s->collection, id));
      }
      on_response parse;
      if (s->kind == store_kind::weaviate) {
        parse = [s](const http::response& r) -> caf::expected<uint64_t> {
          // 404: an object that is not there (any more).
          if (r.status == 404) return uint64_t{ 0 };
          if (!ok_status(r.status)) return status_error(*s, r);
          return uint64_t{ 1 };
        };
      } else {
        // Pinecone answers `{}`: count the ids sent.
        std::vector<size_t> sizes;
        for (auto& c : calls)
          sizes.push_back(c.items);
        auto at = std::make_shared<size_t>(0);
        parse =
          [s, sizes, at](const http::response& r) -> caf::expected<uint64_t> {
          if (!ok_status(r.status)) return status_error(*s, r);
          return static_cast<uint64_t>(sizes[(*at)++]);
        };
      }
      return start(self, http_client, s, std::move(calls), std::move(parse));
    },
  };
}

} // namespace

caf::actor spawn_sink(caf::actor_system& sys,
                      caf::actor http_client,
                      sink_settings settings) {
  return sys.spawn(sink,
                   std::move(http_client),
                   std::make_shared<const sink_settings>(std::move(settings)));
}

} // namespace sophia::actors::pipeline::vector_stores
