// Default versions and images, matched as HashiCorp releases them: consul-ecs and the dataplane
// are released in matched sets. Every image comes from HashiCorp's repositories on the ECR Public
// gallery, not Docker Hub: tasks pull through the NAT gateways with no Docker Hub login, and a
// first deploy or a mass replacement would meet Docker Hub's anonymous pull limits.
export const DEFAULT_CONSUL_VERSION = "2.0.1";
export const DEFAULT_CONSUL_ECS_IMAGE = "public.ecr.aws/hashicorp/consul-ecs:0.10.0";
export const DEFAULT_DATAPLANE_IMAGE = "public.ecr.aws/hashicorp/consul-dataplane:2.0.1";
/** The dev server's image is this repository at `bluegreen:consul.version`. */
export const DEFAULT_CONSUL_IMAGE_REPOSITORY = "public.ecr.aws/hashicorp/consul";
