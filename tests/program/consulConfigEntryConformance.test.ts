// Every Consul config entry the program generates, checked against the fields Consul documents for
// its free edition (tests/support/consulDocumentedFields.ts, with its sources): both example stacks
// as they are, a stack that sets every resilience setting and a sticky canary on each service, and
// the entries the rollout engine writes for each phase of a sticky rollout. Typed resources are read
// in Consul's names (the provider's camelCase arguments mapped as terraform-provider-consul maps
// them); generic entries carry Consul's names already.
import { expect } from "chai";
import { RegisteredResource } from "../../src/offline/planRecords";
import { StackValues } from "../../src/offline/stackFile";
import { trafficProgram } from "../../src/offline/trafficOnlyProgram";
import { trafficEntries } from "../../src/mesh/render/sticky";
import { examplePlan, plan, Plan, services } from "../support/harness";
import { DOCUMENTED_METHODS, DOCUMENTED_RETRY_CONDITIONS, undocumentedFields } from "../support/consulDocumentedFields";
import { T } from "../support/typeTokens";
import { durationNs } from "../../policies/rules/retriesBounded";
import { policies } from "../../policies/rules";
import { messages } from "../support/policyFixtures";
import type { PlanRecord } from "../../src/offline/planRecords";

const TYPED_KINDS: Record<string, string> = {
    [T.defaults]: "service-defaults",
    [T.resolver]: "service-resolver",
    [T.splitter]: "service-splitter",
    [T.router]: "service-router",
    [T.intentions]: "service-intentions",
};

/** Provider argument names whose Consul name is not just the capitalised argument. */
const RENAMED: Record<string, string> = { retryOns: "RetryOn", headers: "Header", queryParams: "QueryParam", exposes: "Expose", http: "HTTP", removes: "Remove" };

function consulShape(value: unknown, key = ""): unknown {
    if (Array.isArray(value)) {
        // The typed resolver lists its subsets; Consul keys them by name.
        if (key === "subsets") {
            return Object.fromEntries(value.map((s: Record<string, unknown>) => [s.name, consulShape({ filter: s.filter, onlyPassing: s.onlyPassing })]));
        }
        return value.map((item) => consulShape(item));
    }
    if (value === null || typeof value !== "object") {
        return value;
    }
    return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [RENAMED[k] ?? k.charAt(0).toUpperCase() + k.slice(1), k === "add" || k === "set" ? v : consulShape(v, k)]),
    );
}

interface Found {
    readonly where: string;
    readonly kind: string;
    readonly body: Record<string, unknown>;
}

function entriesOf(p: Plan): Found[] {
    return p.resources.flatMap((r: RegisteredResource): Found[] => {
        if (r.type === T.configEntry) {
            return [{ where: r.name, kind: r.inputs.kind as string, body: JSON.parse(r.inputs.configJson as string) }];
        }
        const kind = TYPED_KINDS[r.type];
        return kind ? [{ where: r.name, kind, body: consulShape(r.inputs) as Record<string, unknown> }] : [];
    });
}

/** Values Consul checks beyond field names: retry conditions, methods, durations. */
function valueProblems(found: Found): string[] {
    const problems: string[] = [];
    const visit = (value: unknown, key: string) => {
        if (Array.isArray(value)) {
            if (key === "RetryOn" && value.some((c) => !DOCUMENTED_RETRY_CONDITIONS.includes(c))) {
                problems.push(`${found.where}: RetryOn ${JSON.stringify(value)}`);
            }
            if ((key === "Methods" && value.some((m) => !DOCUMENTED_METHODS.includes(m))) || new Set(value).size !== value.length) {
                problems.push(`${found.where}: ${key} ${JSON.stringify(value)}`);
            }
            value.forEach((v) => visit(v, key));
        } else if (value !== null && typeof value === "object") {
            for (const [k, v] of Object.entries(value)) {
                visit(v, k);
            }
        } else if (/Timeout$|^Interval$|^BaseEjectionTime$/.test(key) && !key.endsWith("Ms") && durationNs(value) === undefined) {
            problems.push(`${found.where}: ${key} ${JSON.stringify(value)} is not a duration`);
        } else if (key === "Method" && !DOCUMENTED_METHODS.includes(value as string)) {
            problems.push(`${found.where}: Method ${JSON.stringify(value)}`);
        }
    };
    visit(found.body, "");
    return problems;
}

/** Every resilience setting on both services, and a sticky canary on both. */
function everything(c: StackValues): void {
    for (const [name, service] of Object.entries(services(c))) {
        service.rollout = { sticky: true };
        service.resilience = {
            timeouts: { request: "20s", connect: "1500ms" },
            retries: { count: 2, on: ["connect-failure", "refused-stream", "5xx"], statusCodes: [503], methods: ["GET", "HEAD"] },
            routes: [
                { pathPrefix: service.route ? `${service.route.pathPrefix}/export` : `/${name}/export`, methods: ["GET"], timeout: "2m", retries: { count: 0 } },
                { pathPrefix: "/", header: { name: "x-tenant", exact: "big" }, timeout: "45s" },
            ],
            outlierDetection: { consecutive5xx: 3, interval: "5s", baseEjectionTime: "1m", maxEjectionPercent: 50, enforcingPercent: 90 },
            connectionLimits: { maxConnections: 512, maxPendingRequests: 128, maxConcurrentRequests: 256 },
        };
    }
}

describe("Consul config entries against Consul's documented fields (free edition)", () => {
    const check = (entries: Found[]) => {
        const undocumented = entries.flatMap((e) => undocumentedFields(e.kind, e.body).map((path) => `${e.where} (${e.kind}): ${path}`));
        expect(undocumented).to.deep.equal([]);
        expect(entries.flatMap(valueProblems)).to.deep.equal([]);
    };

    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: every entry of the whole program's plan`, async () => {
            const entries = entriesOf(await examplePlan(stack));
            // Per service: defaults, resolver, splitter, router (+ intentions where called); mesh: proxy-defaults, api-gateway, one http-route.
            expect(entries.map((e) => e.kind).sort()).to.deep.equal(
                [
                    ...["service-defaults", "service-resolver", "service-splitter", "service-router"].flatMap((k) => [k, k]),
                    "service-intentions",
                    "service-intentions",
                    "proxy-defaults",
                    "api-gateway",
                    "http-route",
                ].sort(),
            );
            check(entries);
        });
    }

    it("a stack that sets every resilience setting and a sticky canary on each service, which the policy pack passes", async () => {
        const p = await plan("dev", everything, { program: trafficProgram });
        const entries = entriesOf(p);
        // The sticky virtual services add a service-defaults and a splitter per colour and service.
        expect(entries.filter((e) => e.kind === "service-splitter")).to.have.length(6);
        const routes = entries.find((e) => e.where === "mesh-route-orders")!.body.Rules as unknown[];
        expect(routes.length).to.be.greaterThan(1);
        check(entries);
        const records: PlanRecord[] = p.resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, parent: r.parent, dependsOn: r.dependsOn, inputs: r.inputs }));
        const found = (await Promise.all(policies.filter((x) => ["retries-bounded-by-timeout", "sticky-canary-ends-with-rollout", "consul-traffic-splits"].includes(x.name)).map((x) => messages(records, x)))).flat();
        expect(found).to.deep.equal([]);
    });

    it("the rollout engine's bodies for a sticky service: at rest, during a rollout, after it ended", () => {
        const bodies = [
            ...trafficEntries("orders", { blue: 100, green: 0 }, true, false),
            ...trafficEntries("orders", { blue: 75, green: 25 }, true, true),
            ...trafficEntries("orders", { blue: 0, green: 100 }, true, false),
        ];
        check(bodies.map((body, i) => ({ where: `engine write ${i}`, kind: body.Kind as string, body })));
    });

    it("would catch an undocumented or Enterprise-only field", () => {
        expect(undocumentedFields("service-router", { Routes: [{ Destination: { Namespace: "team", PerTryTimeout: "1s" } }] })).to.deep.equal([
            "Routes[0].Destination.Namespace",
            "Routes[0].Destination.PerTryTimeout",
        ]);
        expect(undocumentedFields("http-route", { Rules: [{ Filters: { RetryFilter: { RetryOnConnectionFailure: true } } }] })).to.deep.equal(["Rules[0].Filters.RetryFilter.RetryOnConnectionFailure"]);
        expect(undocumentedFields("service-defaults", { UpstreamConfig: { Overrides: [{ Name: "a", Partition: "p" }] }, RateLimits: {} })).to.deep.equal([
            "UpstreamConfig.Overrides[0].Partition",
            "RateLimits",
        ]);
    });
});
