// Ports the mesh itself uses (docs/architecture.md, "Ports"): a service or upstream taking one of
// them would collide with Envoy, consul-dataplane or the servers.
/** Ports the mesh uses inside a task or on the servers; never a service or upstream port. */
export const RESERVED_PORTS: readonly number[] = [19000, 20000, 22000, 8300, 8301, 8302, 8500, 8501, 8502, 8503, 8600, 10000];
