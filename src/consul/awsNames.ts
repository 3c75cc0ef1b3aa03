// AWS-side names the server cluster derives from the project and stack. They must be valid DNS labels
// (Cloud Map namespace) and valid S3 bucket name prefixes, whatever a stack is called.

/** The dev server's Cloud Map service name. */
export const DEV_DISCOVERY_SERVICE = "consul-server";

/** The dev server's private DNS namespace, one per stack. */
export function devNamespaceName(project: string, stack: string): string {
    return `${dnsLabel(stack)}.${dnsLabel(project)}.internal`;
}

/** The name mesh tasks reach the dev server by; it must also be on the server certificate. */
export function devServerDnsName(project: string, stack: string): string {
    return `${DEV_DISCOVERY_SERVICE}.${devNamespaceName(project, stack)}`;
}

/** S3 bucket name prefixes are at most 37 characters of [a-z0-9-]. */
export function snapshotBucketPrefix(project: string, stack: string): string {
    return `${dnsLabel(project)}-${dnsLabel(stack)}-consul-snapshots-`.slice(0, 37);
}

function dnsLabel(value: string): string {
    return value.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^-+|-+$/g, "").slice(0, 63) || "stack";
}
