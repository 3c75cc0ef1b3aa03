// A URL path the program writes into a shell command (the ECS health check) or an Envoy/ALB route:
// RFC 3986 path characters only, so no quote, space or control character can break out of either.
const URL_PATH = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@%/?]*$/;

/** What is wrong with a URL path, or undefined. */
export function urlPathProblem(path: string): string | undefined {
    if (!path.startsWith("/")) {
        return `${JSON.stringify(path)} must start with "/"`;
    }
    if (!URL_PATH.test(path)) {
        return `${JSON.stringify(path)} is not a plain URL path; use letters, digits and URL punctuation only (no quotes, spaces or control characters)`;
    }
    return undefined;
}
