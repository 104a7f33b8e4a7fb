# Sourced: two_nodes_config, the cluster.conf of the MCP tests and of the
# edge benchmark. Node a runs the edge; node b runs the conformance fixtures
# (as role data_intelligence), so every fixture call crosses nodes.
#
# two_nodes_config PORT_A PORT_B MCP_PORT [CLUSTER_KEYS] [EDGE_KEYS] [MORE_TOML]
two_nodes_config() {
  cat <<CONF
[cluster]
name = "mcp-test"
${4:-}

[edge]
port = $3
${5:-}

[conformance]
enabled = true
role = "data_intelligence"

[[node]]
name = "a"
host = "127.0.0.1"
port = $1
roles = ["edge"]

[[node]]
name = "b"
host = "127.0.0.1"
port = $2
roles = ["data_intelligence"]
${6:-}
CONF
}
