// The one port table: every port the mesh, the servers and the public edge use
// (docs/platform-facts.md#network). Security group rules, the servers' agent config, the gateway's
// listener, stack config validation (a service may not take a mesh port) and the policy pack all
// read it here.

export const PORTS = {
    /** Consul's HTTPS API (TLS). */
    consulHttps: 8501,
    /** Consul's gRPC with TLS: dataplanes fetch their xDS config here. */
    consulGrpcTls: 8503,
    /** Server RPC between servers. */
    serverRpc: 8300,
    /** LAN gossip between servers (tcp and udp); dataplanes do not gossip. */
    serfLan: 8301,
    /** WAN gossip (tcp and udp): every server joins the WAN pool, federated or not. */
    serfWan: 8302,
    /** Envoy's public listener in every mesh task (mTLS between sidecars). */
    envoyPublic: 20000,
    /** The API gateway's listener, targeted by the public ALB. */
    gatewayListener: 8443,
    https: 443,
    http: 80,
} as const;

/** The API gateway's one listener: the ALB targets this port on container `consul-dataplane`. */
export const GATEWAY_LISTENER = { name: "http", port: PORTS.gatewayListener, protocol: "http" } as const;

/**
 * Consul's own ports: server RPC 8300, LAN and WAN gossip 8301-8302, HTTP 8500, HTTPS 8501, gRPC
 * 8502, gRPC TLS 8503, DNS 8600. The policy pack keeps them inside the VPC. The API gateway's
 * listener (8443) lies inside the block's numbers but is not Consul's.
 */
export const CONSUL_PORTS: readonly number[] = [PORTS.serverRpc, PORTS.serfLan, PORTS.serfWan, 8500, PORTS.consulHttps, 8502, PORTS.consulGrpcTls, 8600];

/** Ports the mesh uses inside a task or on the servers; never a service or upstream port. */
export const RESERVED_PORTS: readonly number[] = [19000, PORTS.envoyPublic, 22000, ...CONSUL_PORTS, 10000];
