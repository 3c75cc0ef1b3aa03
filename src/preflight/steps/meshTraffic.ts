// Phase 5a: requests flow through the mesh. Every declared upstream needs the callee's tasks to
// accept the caller's Envoy on the public listener (20000) and the callee's service-intentions to
// allow the caller (default deny); every service an http-route sends to needs the same from the API
// gateway, and the route must hang off a listener the gateway serves. A caller's service-defaults may
// tune only upstreams it calls (outlier ejection and limits of another service do nothing there),
// and a router route to another service (a sticky canary's virtual service) needs that service's
// splitter and protocol, and must split to mesh tasks of the router's own service.
import { PreflightContext, taskEndpoint } from "../context";
import { asArray, parseJsonInput, PlanIndex, PlanRecord, TYPES } from "../planIndex";
import { failed, passed, StepResult } from "../report";
import { consulName, EcsTask, meshTasks } from "../tasks";

const PHASE = "Upstreams, gateway routes and the public ALB";
/** consul-dataplane's public listener, what another Envoy connects to. */
const ENVOY_PUBLIC_PORT = 20000;

export async function meshTraffic(ctx: PreflightContext): Promise<StepResult[]> {
    const tasks = meshTasks(ctx.index);
    const results: StepResult[] = [];
    for (const caller of tasks) {
        for (const upstream of caller.config?.proxy?.upstreams ?? []) {
            results.push(...link(ctx, "traffic.upstream", caller, String(upstream.destinationName), tasks));
        }
    }
    for (const route of configEntries(ctx.index, "http-route")) {
        results.push(...gatewayRoute(ctx, route, tasks));
    }
    results.push(...upstreamOverrides(ctx, tasks), ...virtualRoutes(ctx, tasks));
    return results;
}

/** Every UpstreamConfig override of a service-defaults names an upstream the service's tasks declare. */
function upstreamOverrides(ctx: PreflightContext, tasks: readonly EcsTask[]): StepResult[] {
    const results: StepResult[] = [];
    for (const { record, body } of configEntries(ctx.index, "service-defaults")) {
        const caller = String(record.inputs.name);
        const overrides = asArray((body.UpstreamConfig as { Overrides?: unknown } | undefined)?.Overrides).map((o) => String((o as { Name?: unknown }).Name));
        if (overrides.length === 0) {
            continue;
        }
        const declared = new Set(tasks.filter((t) => consulName(t) === caller).flatMap((t) => (t.config?.proxy?.upstreams ?? []).map((u) => String(u.destinationName))));
        const stray = overrides.filter((name) => !declared.has(name));
        results.push(
            stray.length > 0
                ? failed(PHASE, "traffic.upstreamConfig", record.name, `service-defaults ${caller} tunes ${stray.join(", ")}, which no ${caller} task declares as an upstream: the outlier ejection and limits apply to nothing`, `declare the upstream on ${caller}, or drop the override`)
                : passed(PHASE, "traffic.upstreamConfig", record.name, `service-defaults ${caller}: outlier ejection and limits for ${overrides.join(", ")}, each an upstream of ${caller}'s tasks`),
        );
    }
    return results;
}

/** Router routes to another service (sticky virtual services): its splitter and protocol exist, and it splits to the router's own mesh tasks. */
function virtualRoutes(ctx: PreflightContext, tasks: readonly EcsTask[]): StepResult[] {
    const results: StepResult[] = [];
    const splitters = ctx.index.ofType(TYPES.splitter);
    const defaults = configEntries(ctx.index, "service-defaults");
    for (const router of ctx.index.ofType(TYPES.router)) {
        const service = String(router.inputs.name);
        const targets = new Set(asArray(router.inputs.routes).map((r) => String((r as { destination?: { service?: unknown } }).destination?.service ?? service)));
        for (const target of [...targets].filter((t) => t !== service)) {
            const splitter = splitters.find((s) => s.inputs.name === target);
            const protocol = defaults.find((d) => d.record.inputs.name === target)?.body.Protocol;
            const splitTo = asArray(splitter?.inputs.splits).map((s) => String((s as { service?: unknown }).service));
            const problem = !splitter
                ? `no splitter for ${target}: Consul would resolve it as a service of its own, which no task registers`
                : !["http", "http2", "grpc"].includes(String(protocol))
                  ? `${target} has no HTTP-like service-defaults, so Consul rejects its splitter`
                  : splitTo.some((s) => s !== service)
                    ? `the splitter of ${target} sends to ${splitTo.filter((s) => s !== service).join(", ")}, not ${service}`
                    : !tasks.some((t) => consulName(t) === service)
                      ? `no mesh task registers ${service}`
                      : undefined;
            results.push(
                problem
                    ? failed(PHASE, "traffic.sticky", router.name, `router ${service} routes to ${target}: ${problem}`, `plan ${target}'s service-defaults and splitter (rollout.sticky does), or drop the route`)
                    : passed(PHASE, "traffic.sticky", router.name, `router ${service} routes to ${target}, which splits to ${service}'s own colours`),
            );
        }
    }
    return results;
}

function link(ctx: PreflightContext, step: string, caller: EcsTask, destination: string, tasks: readonly EcsTask[]): StepResult[] {
    const callerName = String(consulName(caller));
    const callees = tasks.filter((t) => consulName(t) === destination);
    const label = `${callerName} -> ${destination}`;
    if (callees.length === 0) {
        return [failed(PHASE, step, caller.taskDefinition.name, `${label}: no mesh task registers ${destination}`, `plan the service ${destination} or remove the upstream`)];
    }
    const results: StepResult[] = [];
    for (const callee of callees) {
        const r = ctx.net.reach(taskEndpoint(ctx, caller), taskEndpoint(ctx, callee), "tcp", ENVOY_PUBLIC_PORT);
        if (!r.ok) {
            results.push(failed(PHASE, step, r.blockedAt?.name ?? callee.taskDefinition.name, `${label} (${caller.taskDefinition.name} -> ${callee.taskDefinition.name}): ${r.text}`, `allow tcp/${ENVOY_PUBLIC_PORT} from the caller's group to the callee's group`));
        }
    }
    const intention = intentionDecision(ctx.index, destination, callerName);
    if (!intention.allowed) {
        results.push(failed(PHASE, step, intention.record?.name ?? destination, `${label}: ${intention.text}`, `allow ${callerName} in the service-intentions of ${destination}`));
    }
    return results.length > 0 ? results : [passed(PHASE, step, caller.taskDefinition.name, `${label}: tcp/${ENVOY_PUBLIC_PORT} open to ${callees.map((t) => t.taskDefinition.name).join(", ")}; ${intention.text}`)];
}

function gatewayRoute(ctx: PreflightContext, route: { record: PlanRecord; body: Record<string, unknown> }, tasks: readonly EcsTask[]): StepResult[] {
    const results: StepResult[] = [];
    const gateways = configEntries(ctx.index, "api-gateway");
    for (const parent of asArray(route.body.Parents).map((p) => (p ?? {}) as { Kind?: string; Name?: string; SectionName?: string })) {
        const gateway = gateways.find((g) => String(g.record.inputs.name) === parent.Name);
        const listeners = asArray(gateway?.body.Listeners).map((l) => (l ?? {}) as { Name?: string; Port?: number });
        const listener = listeners.find((l) => parent.SectionName === undefined || l.Name === parent.SectionName);
        const gatewayTasks = tasks.filter((t) => t.config?.gateway?.name === parent.Name);
        if (!gateway || !listener || gatewayTasks.length === 0) {
            results.push(failed(PHASE, "gateway.route", route.record.name, `http-route ${String(route.record.inputs.name)} hangs off ${parent.Name}/${parent.SectionName ?? "*"}, which ${!gateway || !listener ? "no api-gateway listener of the plan is" : "no gateway task serves"}`, "point the route's Parents at the api-gateway's listener"));
            continue;
        }
        for (const gatewayTask of gatewayTasks) {
            if (gatewayTask.config?.gateway?.lanAddress?.port !== listener.Port) {
                results.push(failed(PHASE, "gateway.route", gateway.record.name, `listener ${String(listener.Name)} is on ${String(listener.Port)}, but the gateway task ${gatewayTask.taskDefinition.name} listens on ${String(gatewayTask.config?.gateway?.lanAddress?.port)}`, "use one port for the api-gateway listener and the task's lanAddress"));
            }
            for (const rule of asArray(route.body.Rules)) {
                for (const service of asArray((rule as { Services?: unknown }).Services)) {
                    results.push(...link(ctx, "gateway.route", gatewayTask, String((service as { Name?: unknown }).Name), tasks));
                }
            }
        }
    }
    return results;
}

/** Config entries of a kind written through the generic ConfigEntry resource, with their parsed body. */
export function configEntries(index: PlanIndex, kind: string): { record: PlanRecord; body: Record<string, unknown> }[] {
    return index
        .ofType(TYPES.configEntry)
        .filter((r) => r.inputs.kind === kind)
        .map((record) => ({ record, body: parseJsonInput<Record<string, unknown>>(record.inputs.configJson) ?? {} }));
}

/** Consul's answer for source -> destination: the exact-name source wins over `*`; none means default deny. */
function intentionDecision(index: PlanIndex, destination: string, source: string): { allowed: boolean; text: string; record?: PlanRecord } {
    const record = index.ofType(TYPES.intentions).find((r) => r.inputs.name === destination);
    const sources = asArray(record?.inputs.sources).map((s) => (s ?? {}) as { name?: string; action?: string; permissions?: unknown });
    const match = sources.find((s) => s.name === source) ?? sources.find((s) => s.name === "*");
    if (!record) {
        return { allowed: false, text: `${destination} has no service-intentions: default deny refuses ${source}` };
    }
    if (!match) {
        return { allowed: false, text: `the service-intentions of ${destination} do not list ${source}: default deny refuses it`, record };
    }
    if (match.action === "allow" || (match.action === undefined && asArray(match.permissions).length > 0)) {
        return { allowed: true, text: `intentions of ${destination} allow ${source}${match.action === undefined ? " (per request, by permissions)" : ""}`, record };
    }
    return { allowed: false, text: `the service-intentions of ${destination} deny ${source}`, record };
}
