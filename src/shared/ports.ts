// Ports the mesh itself uses (docs/architecture.md, "Ports"): a service or upstream taking one of
// them would collide with Envoy, consul-dataplane or the servers.

/**
 * Consul's own ports: server RPC 8300, LAN and WAN gossip 8301-8302, HTTP 8500, HTTPS 8501, gRPC
 * 8502, gRPC TLS 8503, DNS 8600. The policy pack keeps them inside the VPC. The API gateway's
 * listener (8443) lies inside the block's numbers but is not Consul's.
 */
export const CONSUL_PORTS: readonly number[] = [8300, 8301, 8302, 8500, 8501, 8502, 8503, 8600];

/** Ports the mesh uses inside a task or on the servers; never a service or upstream port. */
export const RESERVED_PORTS: readonly number[] = [19000, 20000, 22000, ...CONSUL_PORTS, 10000];
