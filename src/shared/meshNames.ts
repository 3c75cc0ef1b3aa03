// Names the program, the policy pack and the flip client must agree on: consul-ecs's containers and
// tags, the API gateway, the colour's meta key and header. One home; renaming one here renames it
// everywhere, and renaming one in consul-ecs's sense breaks health sync and graceful shutdown.

/** Container names consul-ecs looks up; renaming one breaks health sync and graceful shutdown. */
export const CONTAINERS = {
    meshInit: "consul-ecs-mesh-init",
    dataplane: "consul-dataplane",
    healthSync: "consul-ecs-health-sync",
    controller: "consul-ecs-controller",
} as const;

/** The three containers every mesh task carries next to the app. */
export const MESH_CONTAINERS: readonly string[] = [CONTAINERS.meshInit, CONTAINERS.dataplane, CONTAINERS.healthSync];

/** The environment variable consul-ecs reads its config from (not ECS_CONFIG_JSON). */
export const CONSUL_ECS_CONFIG_ENV = "CONSUL_ECS_CONFIG_JSON";

/** The Consul name of the API gateway: its tasks' `gateway.name` and its `api-gateway` config entry. */
export const API_GATEWAY_NAME = "api-gateway";

/** Service meta key whose value is the colour; the resolver's subsets filter on it. */
export const COLOUR_META_KEY = "version";

/** Request header that sends a request straight to one colour, past the splitter. */
export const COLOUR_HEADER = "x-bluegreen-color";

/** Task definition tags the consul-ecs controller reads (slashes; propagated to tasks). */
export const MESH_TAG = "consul.hashicorp.com/mesh";
export const SERVICE_NAME_TAG = "consul.hashicorp.com/service-name";

/** IAM role tags the IAM auth method's binding rules read (dots: binding rules cannot read slashes). */
export const ROLE_SERVICE_NAME_TAG = "consul.hashicorp.com.service-name";
export const ROLE_GATEWAY_KIND_TAG = "consul.hashicorp.com.gateway-kind";

/** The role path the auth method trusts; must equal the controller's `iamRolePath`. */
export const CONSUL_ECS_ROLE_PATH = "/consul-ecs/";

/** The auth method consul-ecs logs in with. */
export const IAM_AUTH_METHOD = "iam-ecs-service-token";

/** Tags on each colour's ECS service and task definition; the policy pack ties weights to counts through them. */
export const SERVICE_TAG = "bluegreen:service";
export const COLOUR_TAG = "bluegreen:colour";

/** Protocols with which Consul permits a splitter or router (L7). */
export const HTTP_LIKE_PROTOCOLS: readonly string[] = ["http", "http2", "grpc"];

/**
 * The virtual service a sticky colour's cookie routes to: its splitter (the rollout engine's) pins
 * the colour during a rollout and follows the service's own split otherwise. The suffix keeps it
 * apart from real services (config refuses a service named like one).
 */
export function stickyServiceName(service: string, colour: string): string {
    return `${service}-sticky-${colour}`;
}

/** The cookie the mesh sets during a sticky rollout: one per service, its value the colour that served. */
export function stickyCookieName(service: string): string {
    return `bluegreen-${service}`;
}
