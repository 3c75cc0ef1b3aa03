// Names the policy pack must agree on with the program, copied here; a root test checks that every
// value equals the program's (src/mesh/names.ts). The pack does import two pure rules from the
// program (src/config/traffic.ts, src/config/ports.ts): it runs from this repository
// (`pulumi preview --policy-pack ./policies`), not published on its own.

/** Task definition tag that makes the consul-ecs controller treat a task as part of the mesh. */
export const MESH_TAG = "consul.hashicorp.com/mesh";

/** The three consul-ecs containers, looked up by these exact names. */
export const MESH_INIT_CONTAINER = "consul-ecs-mesh-init";
export const DATAPLANE_CONTAINER = "consul-dataplane";
export const HEALTH_SYNC_CONTAINER = "consul-ecs-health-sync";
export const MESH_CONTAINERS: readonly string[] = [MESH_INIT_CONTAINER, DATAPLANE_CONTAINER, HEALTH_SYNC_CONTAINER];

/** consul-ecs reads its configuration from this environment variable. */
export const CONSUL_ECS_CONFIG_ENV = "CONSUL_ECS_CONFIG_JSON";

/** The API gateway's listener port: the public ALB targets container consul-dataplane there. */
export const GATEWAY_LISTENER_PORT = 8443;

/** Tags every blue/green ECS service carries, linking it to its Consul service and colour. */
export const SERVICE_TAG = "bluegreen:service";
export const COLOUR_TAG = "bluegreen:colour";

/** Service meta key the resolver's subsets filter on. */
export const COLOUR_META_KEY = "version";

/** Protocols with which Consul permits a splitter or router (L7). */
export const HTTP_LIKE_PROTOCOLS: readonly string[] = ["http", "http2", "grpc"];

/** Words of a stack name that make it a production stack. */
export const PRODUCTION_WORDS: readonly string[] = ["prod", "production", "prd", "live"];

/**
 * A stack is a production stack when one of its name's words (split at anything but letters, any
 * case) is in PRODUCTION_WORDS: prod, eu-prod, prod-2, Production, prd, live; not products or
 * productdemo. Stack config validation applies the same rule (dev servers are refused there).
 */
export function isProductionStack(stack: string): boolean {
    return stack
        .toLowerCase()
        .split(/[^a-z]+/)
        .some((word) => PRODUCTION_WORDS.includes(word));
}

/** A sticky colour's virtual service (rollout.sticky): the rollout engine pins its splitter during a rollout only. */
export function stickyServiceName(service: string, colour: string): string {
    return `${service}-sticky-${colour}`;
}

/** The cookie the mesh sets during a sticky rollout, naming the colour that served. */
export function stickyCookieName(service: string): string {
    return `bluegreen-${service}`;
}

/** The colour header the router sends straight to a colour's subset (operators' preview). */
export const COLOUR_HEADER = "x-bluegreen-color";
