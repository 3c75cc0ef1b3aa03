// Names that the mesh's parts must agree on: gateway tasks, config entries and policies.

/** Container names consul-ecs looks up; renaming one breaks health sync and graceful shutdown. */
export const CONTAINERS = {
    meshInit: "consul-ecs-mesh-init",
    dataplane: "consul-dataplane",
    healthSync: "consul-ecs-health-sync",
    controller: "consul-ecs-controller",
} as const;

/** The Consul name of the API gateway: its tasks' `gateway.name` and its `api-gateway` config entry. */
export const API_GATEWAY_NAME = "api-gateway";

/** The API gateway's one listener: the ALB targets this port on container `consul-dataplane`. */
export const GATEWAY_LISTENER = { name: "http", port: 8443, protocol: "http" } as const;

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
