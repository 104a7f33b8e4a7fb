#pragma once

// Every key of cluster.conf, declared once. Each list below drives the
// members of its struct in `cluster_config.hpp`, the schema the loader
// validates against (type, default, range, choices, secrecy, doc), the
// bindings that read and render the struct, `--check`'s rendering and the
// reference `sophia-node --config-reference` prints. Adding a key is adding
// one line here (and a comment in the shipped cluster.conf, which a test
// checks).
//
// KEY(TYPE, NAME, DEFAULT, DOC, EXTRA...)
// - TYPE: std::string, int64_t, uint16_t (ports), double, bool or
//   std::vector<std::string>; the TOML type follows from it (a double
//   takes a TOML float or integer);
// - NAME: the key, and the member of the struct;
// - DEFAULT: the member's initializer (`{}` for a required key); the
//   schema's default is rendered from it, so the two cannot differ;
// - DOC: one line for humans;
// - EXTRA: designated initializers of `key_spec`, in its order:
//   `.required = true`, `.secret = true`, `.min = N, .max = N` (integers
//   and numbers),
//   `.choices = { ... }` (strings).
//
// This header holds macros only: it includes nothing and costs nothing.

/// `[cluster]`: settings shared by every node (`cluster_config`).
#define SOPHIA_CONFIG_KEYS_CLUSTER(KEY)                                       \
  KEY(std::string, name, {},                                                  \
      "name of the cluster; nodes of different clusters refuse to talk",      \
      .required = true)                                                       \
  KEY(int64_t, heartbeat_ms, 500,                                             \
      "interval of BASP heartbeats between nodes, set on every node",         \
      .min = 10, .max = 60000)                                                \
  KEY(int64_t, failure_timeout_ms, 2000,                                      \
      "a peer silent for this long is declared down; must be greater than "   \
      "heartbeat_ms", .min = 100, .max = 600000)                              \
  KEY(int64_t, connect_timeout_ms, 1000,                                      \
      "how long connecting to a peer may take before it is retried",          \
      .min = 50, .max = 60000)                                                \
  KEY(int64_t, reconnect_ms, 250,                                             \
      "pause between attempts to reach an unreachable peer",                  \
      .min = 10, .max = 60000)                                                \
  KEY(std::string, scheduler_policy, "sharing",                               \
      "actor scheduler: \"sharing\" (one queue; an idle worker waits on the " \
      "actors' sockets: lowest remote and HTTP latency) or \"stealing\" "     \
      "(highest local throughput)", .choices = { "sharing", "stealing" })     \
  KEY(int64_t, scheduler_threads, 1,                                          \
      "worker threads of the actor scheduler on each node (1 measured best "  \
      "on 2 cores: see the README's performance section)",                    \
      .min = 1, .max = 64)                                                    \
  KEY(std::string, log_level, "info",                                         \
      "least severe log level written: trace, debug, info, warn, error or "   \
      "off", .choices = { "trace", "debug", "info", "warn", "error", "off" }) \
  KEY(int64_t, lease_percent, 5,                                              \
      "share of a cluster-wide limit (an API key's budgets and rates, a "    \
      "provider's cluster rates) the limiter hands a node at a time, so "     \
      "that most calls check it locally; the cluster can overshoot a limit "  \
      "by at most the leases outstanding", .min = 1, .max = 100)

/// `[[node]]`: one process of the cluster (`node_config`).
#define SOPHIA_CONFIG_KEYS_NODE(KEY)                                          \
  KEY(std::string, name, {},                                                  \
      "unique name of the node, matching [a-z0-9][a-z0-9_-]*",                \
      .required = true)                                                       \
  KEY(std::string, host, {},                                                  \
      "host name or address other nodes reach this node at",                  \
      .required = true)                                                       \
  KEY(uint16_t, port, {},                                                     \
      "TCP port of the node; host:port must be unique",                       \
      .required = true, .min = 1, .max = 65535)                               \
  KEY(std::vector<std::string>, roles, {},                                    \
      "roles this node runs")                                                 \
  KEY(std::vector<std::string>, standby, {},                                  \
      "roles this node takes over when the node running them is down")        \
  KEY(int64_t, gpus, 0,                                                       \
      "GPUs the node may use for gpu_worker actors", .min = 0, .max = 64)     \
  KEY(uint16_t, edge_port, 0,                                                 \
      "MCP port of this node, overriding [edge] port so that several edge "   \
      "nodes can share a host; 0 means [edge] port", .min = 0, .max = 65535)  \
  KEY(uint16_t, admin_port, 0,                                                \
      "port serving /metrics (Prometheus), /healthz and /readyz on the "      \
      "node's host, for every node (edge nodes also serve them on their MCP " \
      "port); 0 means none", .min = 0, .max = 65535)

/// `[roles.NAME]`: placement and fail-over of a role (`role_config`).
#define SOPHIA_CONFIG_KEYS_ROLE(KEY)                                          \
  KEY(bool, failover, false,                                                  \
      "re-place the role on a live node listing it in standby when its node " \
      "is down")                                                              \
  KEY(bool, move_back, false,                                                 \
      "move the role back to its original node when that node rejoins")       \
  KEY(bool, replicated, false,                                                \
      "run the role on every node that lists it in roles at once (e.g. edge " \
      "and ai_intelligence beside each other on several nodes), each caller " \
      "using its own node's; never re-placed, so not with failover")

/// `[services.NAME]`: how to reach an external service; its client, retries,
/// breaker and limits are those of `runtime/http` (`service_config`).
#define SOPHIA_CONFIG_KEYS_SERVICE(KEY)                                       \
  KEY(std::string, kind, "auto",                                              \
      "which client serves it: auto (the one named NAME) or "                 \
      "openai_compatible (any OpenAI-compatible endpoint: vLLM, TGI)",        \
      .choices = { "auto", "openai_compatible" })                             \
  KEY(std::string, api_key, "",                                               \
      "secret reference (env:VAR, file:PATH, "                                \
      "esc:ORG/PROJECT/ENV#path.to.value); a literal key works but is "       \
      "discouraged; empty leaves the service unconfigured", .secret = true)   \
  KEY(std::string, base_url, "",                                              \
      "API root as the service documents it (paths are appended); empty "     \
      "means the real host")                                                  \
  KEY(int64_t, timeout_ms, 30000,                                             \
      "limit of one attempt, from the first byte sent to the last read",      \
      .min = 1, .max = 600000)                                                \
  KEY(int64_t, connect_timeout_ms, 5000,                                      \
      "limit of connecting (TCP and TLS)", .min = 1, .max = 600000)           \
  KEY(int64_t, max_retries, 2,                                                \
      "attempts after the first, only where retrying is safe (idempotent "    \
      "requests, 429 and 5xx the service documents as not processed), never " \
      "past the call's deadline", .min = 0, .max = 10)                        \
  KEY(int64_t, backoff_ms, 250,                                               \
      "base of the exponential backoff with jitter between attempts; "        \
      "Retry-After and retry-after-ms take precedence",                       \
      .min = 1, .max = 600000)                                                \
  KEY(int64_t, breaker_failures, 5,                                           \
      "consecutive failures (transport errors, 5xx) that open the circuit "   \
      "breaker; 0 disables it", .min = 0, .max = 1000)                        \
  KEY(int64_t, breaker_cooldown_ms, 30000,                                    \
      "how long an open breaker fails requests at once before one probe "     \
      "goes through", .min = 1, .max = 3600000)                               \
  KEY(int64_t, max_concurrency, 64,                                           \
      "requests to the service running at once; more wait in order (0: no "   \
      "limit)", .min = 0, .max = 100000)                                      \
  KEY(int64_t, rate_per_minute, 0,                                            \
      "requests a minute from this node (a token bucket; 0: no limit)",       \
      .min = 0, .max = 6000000)                                               \
  KEY(int64_t, cluster_requests_per_minute, 0,                                \
      "AI provider: ai.intelligent_generate calls to it a UTC minute from "   \
      "all nodes together, held by the limiter; a provider over it is "       \
      "skipped for the next candidate (0: no limit)",                         \
      .min = 0, .max = 1000000000)                                            \
  KEY(int64_t, cluster_tokens_per_minute, 0,                                  \
      "AI provider: tokens (prompt and completion) a UTC minute from all "    \
      "nodes together, as cluster_requests_per_minute (0: no limit)",         \
      .min = 0, .max = 1000000000000)                                         \
  KEY(std::string, on_limiter_down, "fail_open",                              \
      "AI provider: when the limiter cannot be reached and this node's "      \
      "lease is used up, fail_open goes on calling (counted locally) and "    \
      "fail_closed skips the provider", .choices = { "fail_open", "fail_closed" }) \
  KEY(int64_t, max_response_bytes, 33554432,                                  \
      "larger responses fail with an error naming this key",                  \
      .min = 1024, .max = 1073741824)                                         \
  KEY(std::string, ca_file, "",                                               \
      "PEM file of the certificate authorities to trust for this service "   \
      "instead of the system's (a self-hosted endpoint behind a private "    \
      "CA); empty means the system's")                                        \
  KEY(std::string, provider, "",                                              \
      "Portkey: the provider behind the gateway (x-portkey-provider)")        \
  KEY(std::string, virtual_key, "",                                           \
      "Portkey: a virtual key (secret reference, like api_key)",              \
      .secret = true)                                                         \
  KEY(std::string, config, "",                                                \
      "Portkey: a saved config id (x-portkey-config)")                        \
  KEY(std::string, space_id, "",                                              \
      "Arize: the space id (secret reference, like api_key)", .secret = true) \
  KEY(std::string, project, "sophia",                                         \
      "Arize: the project LLM traces go to")                                  \
  KEY(std::string, collection, "",                                            \
      "vector stores: where chunks go; Pinecone: the namespace (empty: the "  \
      "default one); Weaviate: the class (empty: SophiaChunk)")

/// `[edge]`: the MCP endpoint of nodes that run the `edge` role
/// (`edge_config`).
#define SOPHIA_CONFIG_KEYS_EDGE(KEY)                                          \
  KEY(std::string, address, "127.0.0.1",                                      \
      "address the MCP endpoint binds: an IPv4 or IPv6 address or "           \
      "\"localhost\"; every interface (0.0.0.0) must be asked for")           \
  KEY(uint16_t, port, 8080,                                                   \
      "Streamable HTTP port of the MCP endpoint (/mcp and /mcp/<domain>); a " \
      "node's edge_port overrides it; 0 binds any free port and logs which "  \
      "(for tests)", .min = 0, .max = 65535)                                  \
  KEY(std::vector<std::string>, allowed_hosts, {},                            \
      "names accepted in the Host and Origin headers besides localhost, "     \
      "127.0.0.1, [::1] and address")                                         \
  KEY(int64_t, max_body_bytes, 4194304,                                       \
      "larger request bodies are refused with 413",                           \
      .min = 1024, .max = 1073741824)                                         \
  KEY(int64_t, call_timeout_ms, 60000,                                        \
      "deadline of one request (tools/call etc.)", .min = 10, .max = 3600000) \
  KEY(int64_t, idle_timeout_ms, 300000,                                       \
      "an idle keep-alive connection is closed after this",                   \
      .min = 100, .max = unbounded)                                           \
  KEY(int64_t, header_timeout_ms, 10000,                                      \
      "a request's header must arrive within this of its first byte, or the " \
      "connection is closed (slow clients cannot hold it)",                   \
      .min = 100, .max = 600000)                                              \
  KEY(int64_t, max_connections, 4096,                                         \
      "open HTTP connections at most; more are answered 503 at once (also "   \
      "kept below the process's file limit)", .min = 1, .max = 1000000)       \
  KEY(int64_t, sse_keepalive_ms, 15000,                                       \
      "an SSE stream idle this long gets a comment line, so that proxies "    \
      "and load balancers do not cut long calls; 0 sends none",               \
      .min = 0, .max = 3600000)                                               \
  KEY(int64_t, session_idle_ms, 1800000,                                      \
      "an MCP session unused this long is ended",                             \
      .min = 1000, .max = unbounded)                                          \
  KEY(int64_t, max_sessions, 10000,                                           \
      "live sessions at most; at capacity, initialize evicts the least "      \
      "recently active session without an open stream (its next request "     \
      "gets 404) and gets 503 only when every one has one",                   \
      .min = 1, .max = unbounded)                                             \
  KEY(int64_t, max_sessions_per_client, 1000,                                 \
      "live sessions of one client (its API key, else its address) at most; " \
      "beyond, its own least recently active session is evicted, or 429 "     \
      "when each of them has an open stream", .min = 1, .max = unbounded)     \
  KEY(int64_t, replay_events, 256,                                            \
      "SSE events kept per session for Last-Event-ID replay",                 \
      .min = 0, .max = 100000)                                                \
  KEY(int64_t, replay_bytes, 1048576,                                         \
      "bytes of SSE events kept per session for replay, at most",             \
      .min = 0, .max = unbounded)                                             \
  KEY(int64_t, replay_budget_bytes, 67108864,                                 \
      "bytes of SSE events kept for replay by all sessions together; the "    \
      "oldest events go first. What clients have not read yet is bounded by " \
      "as much again: over it, a stream holding more than its share (the "    \
      "budget divided among the open streams) is dropped, and its client "    \
      "may resume it with Last-Event-ID", .min = 0, .max = unbounded)         \
  KEY(int64_t, failover_wait_ms, 5000,                                        \
      "a call to a tool whose node just went down waits this long for the "   \
      "tool to come back (its role failing over) before it fails; 0 fails "   \
      "at once", .min = 0, .max = 600000)                                     \
  KEY(int64_t, page_size, 100,                                                \
      "items per page of tools/list, resources/list and prompts/list",        \
      .min = 1, .max = 10000)                                                 \
  KEY(std::string, responses, "sse",                                          \
      "how a POST is answered: \"sse\" (an event stream, resumable with "     \
      "Last-Event-ID, as the official SDK does) or \"json\" (one JSON body "  \
      "unless the request streams notifications)",                            \
      .choices = { "sse", "json" })                                           \
  KEY(int64_t, io_threads, 1,                                                 \
      "threads running the HTTP server", .min = 1, .max = 64)                 \
  KEY(uint16_t, ai_intelligence_port, 0,                                      \
      "extra port serving only the ai_intelligence tools; 0 means none",      \
      .min = 0, .max = 65535)                                                 \
  KEY(uint16_t, data_intelligence_port, 0,                                    \
      "extra port serving only the data_intelligence tools",                  \
      .min = 0, .max = 65535)                                                 \
  KEY(uint16_t, infrastructure_intelligence_port, 0,                          \
      "extra port serving only the infrastructure_intelligence tools",        \
      .min = 0, .max = 65535)                                                 \
  KEY(uint16_t, business_intelligence_port, 0,                                \
      "extra port serving only the business_intelligence tools",              \
      .min = 0, .max = 65535)

/// `[api_keys.NAME]`: one bearer key of the MCP edge; with none, the edge needs
/// no key (`api_key_config`).
#define SOPHIA_CONFIG_KEYS_API_KEY(KEY)                                       \
  KEY(std::string, key, {},                                                   \
      "secret reference: env:VAR, file:PATH or sha256:<64 hex digits> (the "  \
      "key's SHA-256); a literal key is an error",                            \
      .required = true, .secret = true)                                       \
  KEY(std::vector<std::string>, tools, { "*" },                               \
      "glob patterns of the tools the key may list and call")                 \
  KEY(int64_t, daily_budget_cents, 0,                                          \
      "AI spend through ai.intelligent_generate the key may make in a UTC "   \
      "day, in US cents: a call is refused when its estimate exceeds what is " \
      "left, and counted at its actual cost; 0: no limit",                    \
      .min = 0, .max = 1000000000000)                                         \
  KEY(int64_t, monthly_budget_cents, 0,                                        \
      "as daily_budget_cents, for a UTC calendar month", .min = 0,            \
      .max = 1000000000000)                                                   \
  KEY(int64_t, ai_calls_per_minute, 0,                                         \
      "ai.intelligent_generate calls the key may make in a UTC minute, all "  \
      "nodes together; 0: no limit", .min = 0, .max = 1000000000)             \
  KEY(int64_t, tokens_per_minute, 0,                                          \
      "AI tokens (prompt and completion) the key may use in a UTC minute, "   \
      "all nodes together; 0: no limit", .min = 0, .max = 1000000000000)      \
  KEY(std::string, budgets_on_limiter_down, "fail_closed",                    \
      "when the limiter cannot be reached and this node's lease of the "      \
      "key's daily or monthly budget is used up: fail_closed refuses the "    \
      "call, fail_open allows it (counted locally, reconciled later)",        \
      .choices = { "fail_closed", "fail_open" })                              \
  KEY(std::string, rates_on_limiter_down, "fail_open",                        \
      "the same for ai_calls_per_minute and tokens_per_minute",               \
      .choices = { "fail_closed", "fail_open" })

/// `[models."ID"]`: what the configuration says of one model of the AI
/// router's catalog, over what its providers list (`model_config`).
#define SOPHIA_CONFIG_KEYS_MODEL(KEY)                                         \
  KEY(std::string, provider, "",                                              \
      "the [services.NAME] this applies to; empty: every provider serving "  \
      "the model. With a provider, a model it does not list is added to the " \
      "catalog for it")                                                       \
  KEY(double, prompt_usd_per_mtok, -1,                                        \
      "price of a million prompt tokens, USD; -1 keeps the provider's",       \
      .min = -1, .max = 1000000)                                              \
  KEY(double, completion_usd_per_mtok, -1,                                    \
      "price of a million completion tokens, USD; -1 keeps the provider's",   \
      .min = -1, .max = 1000000)                                              \
  KEY(int64_t, context_length, 0,                                             \
      "tokens of prompt and completion together; 0 keeps the provider's",     \
      .min = 0, .max = 100000000)                                             \
  KEY(std::vector<std::string>, capabilities, {},                             \
      "what it can do: chat, embed, code, vision, tools; empty keeps what "   \
      "the catalog guessed")                                                  \
  KEY(double, quality_simple, -1,                                             \
      "prior probability in [0, 1] of a good answer to a simple prompt, "     \
      "used until the outcome memory knows the model; -1: from its price",    \
      .min = -1, .max = 1)                                                    \
  KEY(double, quality_complex, -1, "the same for complex prompts",            \
      .min = -1, .max = 1)                                                    \
  KEY(double, quality_code, -1, "the same for code", .min = -1, .max = 1)     \
  KEY(double, quality_analysis, -1, "the same for analysis",                  \
      .min = -1, .max = 1)

/// `[conformance]`: the MCP conformance-suite fixtures, off by default
/// (`conformance_config`).
#define SOPHIA_CONFIG_KEYS_CONFORMANCE(KEY)                                   \
  KEY(bool, enabled, false,                                                   \
      "run the fixture actor of the MCP conformance suite")                   \
  KEY(std::string, role, "business_intelligence",                             \
      "the role whose node runs the fixture actor; some node must run it")

/// `[pipeline]`: the data pipeline of the nodes that run the `pipeline` role
/// (`pipeline_config`).
#define SOPHIA_CONFIG_KEYS_PIPELINE(KEY)                                      \
  KEY(std::string, postgres, "",                                              \
      "PostgreSQL the pipeline writes to: a postgresql:// URI or a secret "   \
      "reference to one (env:VAR, file:PATH); empty means the server "        \
      "`tools/sophia up` starts for the cluster ($SOPHIA_PIPELINE_POSTGRES)", \
      .secret = true)                                                         \
  KEY(std::string, redis, "",                                                 \
      "Redis that keeps each record's latest version by key and an event "    \
      "stream per table: a redis:// URI or a secret reference to one; empty " \
      "means the server `tools/sophia up` starts ($SOPHIA_PIPELINE_REDIS), "  \
      "else no Redis stage", .secret = true)                                  \
  KEY(int64_t, redis_ttl_ms, 0,                                               \
      "how long a latest version stays in Redis after its last write; 0: "    \
      "for ever", .min = 0, .max = 31536000000)                               \
  KEY(int64_t, redis_stream_max_len, 100000,                                  \
      "events each table's Redis stream keeps (roughly: XADD MAXLEN ~)",      \
      .min = 0, .max = 1000000000)                                            \
  KEY(std::string, default_schema, "public",                                  \
      "schema of the streams that have no namespace")                         \
  KEY(int64_t, batch_records, 50000,                                          \
      "records of one transaction when no STATE comes sooner",                \
      .min = 1, .max = 10000000)                                              \
  KEY(int64_t, max_line_bytes, 16777216,                                      \
      "a longer Airbyte message is a dead letter",                            \
      .min = 1024, .max = 1073741824)                                         \
  KEY(int64_t, retry_ms, 60000,                                               \
      "how long a failed commit (PostgreSQL down) is retried, the ingest "    \
      "waiting, before it fails", .min = 0, .max = 86400000)                  \
  KEY(int64_t, query_timeout_ms, 10000,                                       \
      "statement timeout of pipeline.query", .min = 10, .max = 3600000)       \
  KEY(int64_t, query_max_rows, 1000,                                          \
      "rows pipeline.query returns at most", .min = 1, .max = 1000000)        \
  KEY(int64_t, vector_dimension, 384,                                         \
      "length of the vectors the vectors stage embeds records' text into "    \
      "(pipeline.search); with a service embedder, the model's own "          \
      "dimension", .min = 16, .max = 4096)                                    \
  KEY(std::string, embedder, "hashing",                                       \
      "what embeds the vectors stage's chunks and queries: hashing (on the "  \
      "CPU) or the name of an AI service with an embed tool: together_ai, "  \
      "huggingface, or a [services.NAME] of kind openai_compatible")          \
  KEY(std::string, embedding_model, "",                                       \
      "the model the embedder service embeds with (its embed tool's "         \
      "model); required when embedder is a service")                          \
  KEY(int64_t, embedding_batch, 64,                                           \
      "texts of one call to the embedder service at most",                    \
      .min = 1, .max = 2048)                                                  \
  KEY(int64_t, embedding_timeout_ms, 30000,                                   \
      "deadline of one call to the embedder service",                         \
      .min = 100, .max = 600000)                                              \
  KEY(std::string, vector_index, "exact",                                     \
      "the vectors stage's index: exact (OpenBLAS, exact results; fast "      \
      "enough to ~200k chunks) or hnsw (approximate, for more)",             \
      .choices = { "exact", "hnsw" })                                         \
  KEY(int64_t, vector_shards, 0,                                              \
      "shards of the exact index, each an actor searching its share of the "  \
      "vectors on a thread of its own, all at once: 0 one per core, 1 "       \
      "unsharded (OpenBLAS threads each search); exact index only",           \
      .min = 0, .max = 256)                                                   \
  KEY(int64_t, vector_queue_records, 20000,                                   \
      "committed records waiting for the vectors stage at most; beyond, "     \
      "the ingest waits up to 5 s, then the batch is dropped (counted) and "  \
      "the stage rebuilds from PostgreSQL", .min = 1, .max = 10000000)        \
  KEY(bool, tool_calls, true,                                                 \
      "edge nodes spool every MCP tool call and ship it to the pipeline "     \
      "(table sophia.tool_calls, tool analytics.summary)")                    \
  KEY(bool, tool_results, true,                                               \
      "the structuredContent a tool call returns is kept too, as a record "   \
      "of the stream sophia_results.TOOL (the pipeline's own tools aside)")   \
  KEY(int64_t, tool_results_max_bytes, 262144,                                \
      "a result larger than this (as JSON) keeps only its top-level "         \
      "numbers, strings and booleans, marked _truncated",                     \
      .min = 1024, .max = 16777216)                                           \
  KEY(std::string, spool_dir, "",                                             \
      "directory of the edge nodes' tool-call spools (one subdirectory per "  \
      "node); empty: $SOPHIA_RUN_DIR, else .sophia next to cluster.conf")     \
  KEY(int64_t, spool_fsync_ms, 200,                                           \
      "the spool writes and fsyncs its buffered records this often; a node "  \
      "killed loses the records younger than this", .min = 1, .max = 60000)   \
  KEY(int64_t, spool_fsync_records, 1000,                                     \
      "or as soon as this many records are buffered",                         \
      .min = 1, .max = 1000000)                                               \
  KEY(int64_t, spool_max_bytes, 268435456,                                    \
      "the spool's size on disk at most while the pipeline is unreachable; "  \
      "beyond it new records are dropped (and counted)",                      \
      .min = 65536, .max = 1099511627776)                                     \
  KEY(int64_t, ship_interval_ms, 1000,                                        \
      "how often the spool ships what it holds to the pipeline",              \
      .min = 10, .max = 3600000)                                              \
  KEY(int64_t, ship_batch_records, 2000,                                      \
      "tool-call records of one shipment (one pipeline.ingest)",              \
      .min = 1, .max = 100000)

/// `[pipeline.sources.NAME]`: one Airbyte source the pipeline runs as a
/// command (`pipeline_source_config`). Its `config` table is not a schema
/// key: it is any TOML table, passed to the source as JSON.
#define SOPHIA_CONFIG_KEYS_PIPELINE_SOURCE(KEY)                               \
  KEY(std::vector<std::string>, command, {},                                  \
      "the source's command as argv (no shell), e.g. [\"python3\", "          \
      "\"main.py\"]; spec/check/discover/read and their flags are appended",  \
      .required = true)                                                       \
  KEY(std::string, catalog, {},                                               \
      "ConfiguredAirbyteCatalog JSON file that `read` gets; a relative path " \
      "is relative to cluster.conf's directory", .required = true)            \
  KEY(int64_t, schedule_s, 0,                                                 \
      "seconds between scheduled syncs; 0: only on demand (pipeline.sync)",   \
      .min = 0, .max = 31536000)                                              \
  KEY(int64_t, timeout_s, 3600,                                               \
      "a command running longer is stopped (SIGTERM, then SIGKILL) and the "  \
      "run fails", .min = 1, .max = 604800)
