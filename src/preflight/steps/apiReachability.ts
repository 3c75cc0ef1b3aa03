// Phase 2: operators and `pulumi up` reach Consul's HTTPS API. The only path is the internal
// load balancer: a VPC host (a runner) connects to its listener, the listener forwards to a target
// group the servers are registered in, on the servers' HTTPS port; an SSM tunnel through an ha server
// reaches the same listener from the server. The Consul provider must be pointed at that listener.
import { PreflightContext, privateEndpoint, serversEndpoint } from "../context";
import { asArray, asStringArray, PlanIndex, PlanRecord, TYPES } from "../planIndex";
import { failed, passed, StepResult } from "../report";
import { ServerFleet } from "../serverFleet";

const PHASE = "Consul API (operators, pulumi up)";

interface ApiPath {
    readonly loadBalancer: PlanRecord;
    readonly listener: PlanRecord;
    readonly targetGroup: PlanRecord;
}

export async function apiReachability(ctx: PreflightContext): Promise<StepResult[]> {
    const fleet = ctx.fleet;
    if (!fleet) {
        return [];
    }
    const httpsPort = Number((fleet.agentConfig.ports as { https?: unknown } | undefined)?.https ?? 8501);
    const path = apiPath(ctx.index, fleet);
    if (!path) {
        return [
            failed(PHASE, "api.listener", fleet.record.name, "no load balancer listener forwards to a target group the servers are registered in", "register the servers in the internal load balancer's target group"),
        ];
    }
    const results: StepResult[] = [listener(path, httpsPort)];
    const lbEndpoint = privateEndpoint(ctx, `load balancer ${path.loadBalancer.name}`, ctx.net.groups(path.loadBalancer.inputs.securityGroups));
    const listenerPort = Number(path.listener.inputs.port);
    const vpcHost = { label: "a host inside the VPC", groups: [], cidr: ctx.index.vpcCidr() };
    const servers = serversEndpoint(ctx, fleet);
    const hops: [string, ReturnType<typeof ctx.net.reach>][] = [
        ["api.operator", ctx.net.reach(vpcHost, lbEndpoint.groups.length > 0 ? lbEndpoint : servers, "tcp", listenerPort)],
        ["api.operator", ctx.net.reach(lbEndpoint.groups.length > 0 ? lbEndpoint : vpcHost, servers, "tcp", httpsPort)],
    ];
    if (fleet.mode === "ha" && lbEndpoint.groups.length > 0) {
        hops.push(["api.tunnel", ctx.net.reach(servers, lbEndpoint, "tcp", listenerPort)]);
    }
    for (const [step, r] of hops) {
        results.push(
            r.ok
                ? passed(PHASE, step, path.loadBalancer.name, r.text)
                : failed(PHASE, step, r.blockedAt?.name ?? path.loadBalancer.name, r.text, step === "api.tunnel" ? "allow the SSM tunnel's hop from the servers' group to the load balancer" : "open the hop in both groups (egress on the source, ingress on the target)"),
        );
    }
    results.push(provider(ctx, path));
    return results;
}

function apiPath(index: PlanIndex, fleet: ServerFleet): ApiPath | undefined {
    const serverTargetGroups =
        fleet.mode === "ha"
            ? asStringArray(fleet.record.inputs.targetGroupArns)
            : asArray(fleet.record.inputs.loadBalancers).map((lb) => String((lb as { targetGroupArn?: unknown }).targetGroupArn));
    for (const listenerRecord of index.ofType(TYPES.listener)) {
        const loadBalancer = index.resolve(TYPES.loadBalancer, listenerRecord.inputs.loadBalancerArn);
        const forward = asArray(listenerRecord.inputs.defaultActions).find((a) => (a as { type?: unknown }).type === "forward") as { targetGroupArn?: unknown } | undefined;
        const targetGroup = index.resolve(TYPES.targetGroup, forward?.targetGroupArn);
        if (loadBalancer && targetGroup && serverTargetGroups.some((ref) => index.resolve(TYPES.targetGroup, ref) === targetGroup)) {
            return { loadBalancer, listener: listenerRecord, targetGroup };
        }
    }
    return undefined;
}

function listener(path: ApiPath, httpsPort: number): StepResult {
    if (path.loadBalancer.inputs.internal !== true) {
        return failed(PHASE, "api.listener", path.loadBalancer.name, "the load balancer in front of Consul's API is internet-facing", "make it internal: the API must never be reachable from the internet");
    }
    const targetPort = Number(path.targetGroup.inputs.port);
    if (targetPort !== httpsPort) {
        return failed(PHASE, "api.listener", path.targetGroup.name, `the target group sends to port ${targetPort}, the servers serve HTTPS on ${httpsPort}`, `set the target group's port to ${httpsPort}`);
    }
    return passed(PHASE, "api.listener", path.listener.name, `internal ${String(path.listener.inputs.protocol)} listener on ${String(path.listener.inputs.port)} forwards to ${path.targetGroup.name}, where the servers are registered on ${httpsPort}`);
}

function provider(ctx: PreflightContext, path: ApiPath): StepResult {
    const consul = ctx.index.ofType(TYPES.consulProvider)[0];
    if (!consul) {
        return passed(PHASE, "api.pulumi", path.loadBalancer.name, "the plan writes nothing to Consul");
    }
    const address = String(consul.inputs.address ?? "");
    const expected = `${String(ctx.index.outputs(path.loadBalancer).dnsName)}:${String(path.listener.inputs.port)}`;
    if (address === expected) {
        return passed(PHASE, "api.pulumi", consul.name, `pulumi up reaches Consul at ${address} (the listener), from a runner inside the VPC`);
    }
    if (/^(localhost|127\.0\.0\.1):\d+$/.test(address)) {
        return passed(PHASE, "api.pulumi", consul.name, `pulumi up reaches Consul at ${address}: an SSM tunnel to ${expected} must be open`);
    }
    return failed(PHASE, "api.pulumi", consul.name, `the Consul provider writes to ${address}, which is neither the API listener (${expected}) nor a local tunnel`, `set bluegreen:consul.apiAddress to ${expected} or remove it`);
}
