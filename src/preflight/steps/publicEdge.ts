// Phase 5b: the internet reaches the services. Clients reach the public ALB's listeners; each
// listener forwards to a target group the gateway's ECS service registers its dataplane container
// in, on the port the gateway listens on; the ALB's group must reach the gateway's group on that port
// and on the health check's port; and the health check must get an answer its matcher accepts. A
// path no http-route matches is answered 404 by the gateway's Envoy (no route), so a health check
// on such a path passes only with 404 in its matcher.
import { PreflightContext, privateEndpoint, taskEndpoint } from "../context";
import { asArray, PlanRecord, TYPES } from "../planIndex";
import { failed, passed, StepResult } from "../report";
import { EcsTask, meshTasks } from "../tasks";
import { configEntries } from "./meshTraffic";
import { decideRequest } from "../listenerRules";
import { COLOUR_HEADER } from "../../shared/meshNames";

const PHASE = "Upstreams, gateway routes and the public ALB";

export async function publicEdge(ctx: PreflightContext): Promise<StepResult[]> {
    const results: StepResult[] = [];
    const gateways = meshTasks(ctx.index).filter((t) => t.config?.gateway !== undefined);
    for (const alb of ctx.index.ofType(TYPES.loadBalancer).filter((lb) => lb.inputs.internal !== true)) {
        const albEndpoint = privateEndpoint(ctx, `ALB ${alb.name}`, ctx.net.groups(alb.inputs.securityGroups));
        for (const listener of ctx.index.ofType(TYPES.listener).filter((l) => ctx.index.resolve(TYPES.loadBalancer, l.inputs.loadBalancerArn) === alb)) {
            const port = Number(listener.inputs.port);
            const r = ctx.net.reach({ label: "the internet", groups: [], cidr: "0.0.0.0/0" }, albEndpoint, "tcp", port);
            results.push(r.ok ? passed(PHASE, "alb.internet", listener.name, r.text) : failed(PHASE, "alb.internet", r.blockedAt?.name ?? listener.name, r.text, `allow tcp/${port} from the clients' CIDRs (gateway.ingressCidrs) into the ALB's group`));
            const forward = asArray(listener.inputs.defaultActions).find((a) => (a as { type?: unknown }).type === "forward") as { targetGroupArn?: unknown } | undefined;
            const targetGroup = ctx.index.resolve(TYPES.targetGroup, forward?.targetGroupArn);
            if (targetGroup) {
                results.push(...toGateway(ctx, albEndpoint, listener, targetGroup, gateways));
                results.push(colourHeader(ctx, listener));
            }
        }
    }
    return results;
}

function toGateway(ctx: PreflightContext, alb: ReturnType<typeof privateEndpoint>, listener: PlanRecord, targetGroup: PlanRecord, gateways: readonly EcsTask[]): StepResult[] {
    const registration = gateways.flatMap((task) =>
        task.services.flatMap((service) =>
            asArray(service.inputs.loadBalancers)
                .map((lb) => (lb ?? {}) as { targetGroupArn?: unknown; containerName?: string; containerPort?: number })
                .filter((lb) => ctx.index.resolve(TYPES.targetGroup, lb.targetGroupArn) === targetGroup)
                .map((lb) => ({ task, service, lb })),
        ),
    );
    if (registration.length === 0) {
        return [failed(PHASE, "alb.gateway", targetGroup.name, `listener ${listener.name} forwards to ${targetGroup.name}, in which no gateway ECS service registers its tasks`, "register the gateway service's consul-dataplane container in the target group (loadBalancers)")];
    }
    const results: StepResult[] = [];
    for (const { task, service, lb } of registration) {
        const lanPort = task.config?.gateway?.lanAddress?.port;
        const container = task.containers.find((c) => c.name === lb.containerName);
        const mapped = container?.portMappings?.some((m) => m.containerPort === lb.containerPort) ?? false;
        if (!mapped || lb.containerPort === undefined || lb.containerPort !== lanPort) {
            results.push(failed(PHASE, "alb.gateway", service.name, `ECS registers ${String(lb.containerName)}:${String(lb.containerPort)}, but the gateway listens on ${String(lanPort)}${mapped ? "" : " and the container maps no such port"}`, `register container consul-dataplane on port ${String(lanPort)} and map that port`));
            continue;
        }
        const gateway = taskEndpoint(ctx, task, `gateway ${task.taskDefinition.name}`);
        const traffic = ctx.net.reach(alb, gateway, "tcp", lb.containerPort);
        results.push(traffic.ok ? passed(PHASE, "alb.gateway", listener.name, traffic.text) : failed(PHASE, "alb.gateway", traffic.blockedAt?.name ?? listener.name, traffic.text, `allow tcp/${lb.containerPort} from the ALB's group to the gateway's group`));
        results.push(healthCheck(ctx, alb, gateway, targetGroup, lb.containerPort));
    }
    return results;
}

function healthCheck(ctx: PreflightContext, alb: ReturnType<typeof privateEndpoint>, gateway: ReturnType<typeof taskEndpoint>, targetGroup: PlanRecord, trafficPort: number): StepResult {
    const check = (targetGroup.inputs.healthCheck ?? {}) as { enabled?: boolean; port?: string; path?: string; matcher?: string; protocol?: string };
    if (check.enabled === false) {
        return failed(PHASE, "alb.healthCheck", targetGroup.name, "the health check is off: the ALB sends to gateway tasks that are not ready", "enable the target group's health check");
    }
    const port = check.port === undefined || check.port === "traffic-port" ? trafficPort : Number(check.port);
    const reach = ctx.net.reach(alb, gateway, "tcp", port);
    if (!reach.ok) {
        return failed(PHASE, "alb.healthCheck", reach.blockedAt?.name ?? targetGroup.name, `health check on ${port}: ${reach.text}`, `allow tcp/${port} from the ALB's group to the gateway's group`);
    }
    const path = check.path ?? "/";
    const routed = configEntries(ctx.index, "http-route").find(({ body }) =>
        asArray(body.Rules).some((rule) => asArray((rule as { Matches?: unknown }).Matches).some((m) => path.startsWith(String((m as { Path?: { Value?: unknown } }).Path?.Value ?? "/")))),
    );
    if (routed) {
        return passed(PHASE, "alb.healthCheck", targetGroup.name, `health check ${path} on ${port} is routed to ${String(routed.record.inputs.name)}: it passes when that service answers within ${check.matcher ?? "200"}`);
    }
    const matcher = check.matcher ?? "200";
    return matcherAccepts(matcher, 404)
        ? passed(PHASE, "alb.healthCheck", targetGroup.name, `health check ${path} on ${port}: no route matches, the gateway answers 404, within matcher ${matcher}`)
        : failed(PHASE, "alb.healthCheck", targetGroup.name, `health check ${path} on ${port}: no route matches, so the gateway answers 404, outside matcher ${matcher}: every gateway task is marked unhealthy`, 'accept 404 in the matcher (for example "200-499"), or check a routed path');
}

/**
 * Consul's 2.0 line merges a backend's service-router into the API gateway's routes (hashicorp/consul
 * PR #23294): a request from the internet with the colour header would pick the colour that has not
 * been promoted, unless the ALB refuses it. Probe: a routed path, the header, from outside every
 * preview CIDR.
 */
function colourHeader(ctx: PreflightContext, listener: PlanRecord): StepResult {
    const route = configEntries(ctx.index, "http-route")[0];
    const prefix = (asArray(route?.body.Rules)[0] as { Matches?: { Path?: { Value?: string } }[] } | undefined)?.Matches?.[0]?.Path?.Value ?? "/";
    const decision = decideRequest(ctx.index, listener, { headers: { [COLOUR_HEADER]: "green" }, path: prefix, host: "example.com" });
    const by = decision.rule ? `rule ${decision.rule.name}` : "the default action";
    return decision.action === "forward"
        ? failed(PHASE, "alb.colourHeader", listener.name, `a request from the internet with ${COLOUR_HEADER}: green is forwarded to the gateway (${by}), which on Consul 2.0 sends it to the green subset whatever the weights`, `refuse the header at the ALB: a listener rule answering 403 to any request that carries ${COLOUR_HEADER} (after the preview CIDRs' rules)`)
        : passed(PHASE, "alb.colourHeader", listener.name, `a request from the internet with ${COLOUR_HEADER} gets ${decision.action} (${by})`);
}

/** Whether an ELB matcher ("200", "200,302", "200-499") accepts a status. */
export function matcherAccepts(matcher: string, status: number): boolean {
    return matcher.split(",").some((part) => {
        const [low, high] = part.trim().split("-").map(Number);
        return high === undefined ? status === low : status >= low && status <= high;
    });
}
