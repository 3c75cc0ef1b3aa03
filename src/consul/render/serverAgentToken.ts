// The servers' own agent token (acl.tokens.agent): what it may do, and the node names it covers.
// With default-deny ACLs a server without one logs "Node info update blocked by ACLs" and
// "Coordinate update blocked": its agent cannot write its own node. Node names are set explicitly
// (Consul's default is the host name, which nothing controls), all under one prefix that nothing else
// in the stack uses (the controller's cluster node is named after the cluster's ARN), so the policy
// can grant node write to the servers and no one else.

/** Every server's node name starts with this. */
const SERVER_NODE_PREFIX = "consul-server-";
/** The one dev server's node name. */
export const DEV_SERVER_NODE_NAME = `${SERVER_NODE_PREFIX}dev`;

/** Node write for the servers' own nodes, service read (anti-entropy reads the node's services). */
export const SERVER_AGENT_POLICY_RULES = `node_prefix "${SERVER_NODE_PREFIX}" {
  policy = "write"
}

service_prefix "" {
  policy = "read"
}
`;

/**
 * Bash lines (ha user data) that write `path`, a config file naming the node after its EC2 instance
 * (`consul-server-i-0123...`), read from the instance metadata service with an IMDSv2 session token.
 * A replaced server gets a new name; autopilot removes the old one.
 */
export function haNodeNameShell(path: string): string[] {
    return [
        `imds_token=$(retry curl -fsS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')`,
        `instance_id=$(retry curl -fsS -H "X-aws-ec2-metadata-token: $imds_token" http://169.254.169.254/latest/meta-data/instance-id)`,
        `case "$instance_id" in i-[0-9a-f]*) ;; *) echo "unexpected instance id $instance_id" >&2; exit 1 ;; esac`,
        `printf '{"node_name": "${SERVER_NODE_PREFIX}%s"}\\n' "$instance_id" > ${path}`,
    ];
}
