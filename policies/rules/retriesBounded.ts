// A retry policy without a timeout bound can hold a caller (and the retried service) for as long as
// the retries last: every route that retries must carry its own request timeout, which bounds all
// attempts together, and retry at most MAX_RETRIES times. Checked on the mesh's service-routers and
// on the API gateway's http-routes, typed resources and generic entries alike.
import type { StackValidationPolicy } from "@pulumi/policy";
import { configEntries, RetrySettings } from "./configEntries";
// The program's own bound, so that config and the pack cannot disagree on it.
import { MAX_RETRIES } from "../../src/shared/resilience";

const GO_DURATION = /^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$/;
const UNIT_NS: Record<string, number> = { h: 3.6e12, m: 6e10, s: 1e9, ms: 1e6, us: 1e3, µs: 1e3, ns: 1 };

/** Nanoseconds of a Go duration string ("1m30s") or a number of nanoseconds; undefined when neither. */
export function durationNs(value: unknown): number | undefined {
    if (typeof value === "number") {
        return value;
    }
    if (typeof value !== "string" || !GO_DURATION.test(value)) {
        return undefined;
    }
    let total = 0;
    for (const [, amount, , unit] of value.matchAll(/(\d+(\.\d+)?)(h|ms|m|us|µs|ns|s)/g)) {
        total += Number(amount) * UNIT_NS[unit];
    }
    return total;
}

function problemOf(settings: RetrySettings): string | undefined {
    const retries = settings.numRetries ?? 0;
    if (retries === 0 && !settings.conditions) {
        return undefined;
    }
    if (retries > MAX_RETRIES) {
        return `retries ${retries} times; at most ${MAX_RETRIES} retries keep a failing service from being buried under its callers' retries`;
    }
    const timeout = durationNs(settings.requestTimeout);
    if (timeout === undefined || timeout <= 0) {
        const written = settings.requestTimeout === undefined ? "no request timeout" : `request timeout ${JSON.stringify(settings.requestTimeout)}`;
        return `retries with ${written}; give it a request timeout above 0, which bounds every attempt together`;
    }
    return undefined;
}

export const retriesBoundedByTimeout: StackValidationPolicy = {
    name: "retries-bounded-by-timeout",
    description: `Every service-router route and http-route rule that retries sets its own request timeout above 0 and retries at most ${MAX_RETRIES} times.`,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const entries = configEntries(args.resources);
        for (const router of entries.routers) {
            router.routes.forEach((route, i) => {
                const problem = problemOf(route.retries);
                if (problem) {
                    reportViolation(`router "${router.name}": route ${i} (to ${route.destination.subset ? `${route.destination.service}/${route.destination.subset}` : route.destination.service}) ${problem}`, router.resource.urn);
                }
            });
        }
        for (const route of entries.httpRoutes) {
            for (const rule of route.rules) {
                const problem = rule.retries.map(problemOf).find((p) => p !== undefined);
                if (problem) {
                    reportViolation(`http-route "${route.name}": rule ${rule.index} ${problem}`, route.resource.urn);
                }
            }
        }
    },
};
