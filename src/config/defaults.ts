// Default versions and images, matched as HashiCorp releases them: consul-ecs and the dataplane
// are released in matched sets.
export const DEFAULT_CONSUL_VERSION = "2.0.1";
export const DEFAULT_CONSUL_ECS_IMAGE = "public.ecr.aws/hashicorp/consul-ecs:0.10.0";
export const DEFAULT_DATAPLANE_IMAGE = "hashicorp/consul-dataplane:2.0.1";
