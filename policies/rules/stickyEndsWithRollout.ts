// A sticky canary (rollout.sticky) must end with its rollout: after a promotion, rollback or abort
// no cookie may lead a client to a colour the split has left. A rollout is the rollout engine's
// state in Consul KV, never part of a plan: what a plan registers is the stack at rest, so in a plan
//   - no splitter hands out the sticky cookie (only the engine adds it, while a rollout runs);
//   - a route on the sticky cookie leads to the colour's sticky virtual service, never straight to
//     a subset (a direct route would outlive every rollback), and that virtual service's splitter
//     hands everything to the service's own splitter (no colour pinned: the live split decides).
import type { StackValidationPolicy } from "@pulumi/policy";
import { configEntries, SplitterEntry } from "./configEntries";
import { stickyCookieName, stickyServiceName } from "../../src/shared/meshNames";

/** The virtual splitter at rest: one split, all the weight, to the service itself with no subset. */
function follows(virtual: SplitterEntry, service: string): boolean {
    return virtual.splits.length === 1 && virtual.splits[0].service === service && virtual.splits[0].subset === undefined && virtual.splits[0].weight === 100;
}

const describeSplits = (splitter: SplitterEntry) => splitter.splits.map((s) => `${s.service}${s.subset ? `/${s.subset}` : ""} ${String(s.weight)}`).join(", ");

/** The service whose sticky cookie a cookie header regex or exact value names, if any. */
function cookieService(value: string, services: readonly string[]): string | undefined {
    return services.find((service) => value.includes(`${stickyCookieName(service)}=`));
}

export const stickyEndsWithRollout: StackValidationPolicy = {
    name: "sticky-canary-ends-with-rollout",
    description:
        "Outside a rollout nothing keeps a client on a colour: no splitter sets the sticky cookie, and every route on it leads to the colour's sticky virtual service, whose splitter hands everything to the service's own splitter.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const entries = configEntries(args.resources);
        const services = entries.splitters.map((s) => s.name);
        for (const splitter of entries.splitters) {
            for (const split of splitter.splits) {
                const setCookie = Object.entries(split.responseHeaders).find(([name]) => name.toLowerCase() === "set-cookie")?.[1];
                const service = setCookie === undefined ? undefined : cookieService(setCookie, services);
                if (service !== undefined) {
                    reportViolation(
                        `splitter "${splitter.name}": split ${split.subset ?? split.service} sets the sticky cookie ${stickyCookieName(service)} with no rollout running; only the rollout engine adds it, during a rollout`,
                        splitter.resource.urn,
                    );
                }
            }
        }
        for (const router of entries.routers) {
            router.routes.forEach((route, i) => {
                const cookie = route.headers.find((h) => h.name === "cookie");
                const service = cookie ? cookieService(cookie.regex ?? cookie.exact ?? "", [router.name, ...services]) : undefined;
                if (service === undefined) {
                    return;
                }
                const report = (message: string) => reportViolation(`router "${router.name}": route ${i} on the sticky cookie ${message}`, router.resource.urn);
                const colour = ["blue", "green"].find((c) => route.destination.service === stickyServiceName(service, c));
                if (colour === undefined || route.destination.subset !== undefined) {
                    report(`goes to ${route.destination.service}${route.destination.subset ? `/${route.destination.subset}` : ""}; it must go to a sticky virtual service (${stickyServiceName(service, "blue")} or ${stickyServiceName(service, "green")}), which the rollout engine unpins when a rollout ends`);
                    return;
                }
                const virtual = entries.splitters.find((s) => s.name === route.destination.service);
                if (!virtual) {
                    report(`goes to ${route.destination.service}, but the stack has no splitter for it`);
                } else if (!follows(virtual, service)) {
                    report(`goes to ${virtual.name}, whose splitter (${describeSplits(virtual)}) does not hand everything to ${service}'s own splitter: a colour is pinned with no rollout running`);
                }
            });
        }
    },
};
