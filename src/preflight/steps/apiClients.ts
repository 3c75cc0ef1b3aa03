// Phase 2, continued: functions of the stack that call Consul's API themselves (the rollout engine's
// Lambda: CONSUL_ADDRESS in its environment). The function's group must reach the API listener, and
// it reads the secrets its environment names (`*_SECRET_ARN`) with its role, and decrypts them.
// (Lambda's own network-interface calls for a VPC function are not checked: the evaluator refuses a
// wildcard in an ARN's resource-type part, which AWS's Resource-element documentation allows.)
import { PreflightContext, privateEndpoint } from "../context";
import { PlanIndex, PlanRecord, TYPES } from "../planIndex";
import { failed, passed, StepResult } from "../report";
import { checkSecretAccess } from "../secretAccess";

const PHASE = "Consul API (operators, pulumi up)";
const LAMBDA_FUNCTION = "aws:lambda/function:Function";

export async function apiClients(ctx: PreflightContext): Promise<StepResult[]> {
    const results: StepResult[] = [];
    for (const fn of ctx.index.plan.resources.filter((r) => r.type === LAMBDA_FUNCTION)) {
        const env = ((fn.inputs.environment as { variables?: Record<string, string> } | undefined)?.variables ?? {}) as Record<string, string>;
        if (env.CONSUL_ADDRESS === undefined) {
            continue;
        }
        const role = ctx.index.resolve(TYPES.role, fn.inputs.role);
        const vpc = (fn.inputs.vpcConfig ?? {}) as { securityGroupIds?: unknown };
        const groups = ctx.net.groups(vpc.securityGroupIds);
        results.push(reachApi(ctx, fn, env.CONSUL_ADDRESS, groups));
        for (const [name, arn] of Object.entries(env).filter(([key]) => key.endsWith("_SECRET_ARN"))) {
            results.push(await checkSecretAccess(ctx, PHASE, "api.clientSecrets", { role, label: `function ${fn.name}`, resource: fn.name }, { label: name, valueFrom: arn }));
        }
    }
    return results;
}

function reachApi(ctx: PreflightContext, fn: PlanRecord, address: string, groups: readonly PlanRecord[]): StepResult {
    const target = apiListenerAt(ctx.index, address);
    if (groups.length === 0) {
        return failed(PHASE, "api.client", fn.name, `function ${fn.name} calls Consul at ${address} but runs outside the VPC (no security group)`, "give it a vpcConfig in the private subnets with its own security group");
    }
    if (!target) {
        return failed(PHASE, "api.client", fn.name, `function ${fn.name} calls Consul at ${address}, which is no listener of the plan's internal load balancers`, "point CONSUL_ADDRESS at the API load balancer's DNS name and listener port");
    }
    const lb = privateEndpoint(ctx, `load balancer ${target.loadBalancer.name}`, ctx.net.groups(target.loadBalancer.inputs.securityGroups));
    const r = ctx.net.reach(privateEndpoint(ctx, `function ${fn.name}`, groups), lb, "tcp", target.port);
    return r.ok ? passed(PHASE, "api.client", fn.name, r.text) : failed(PHASE, "api.client", r.blockedAt?.name ?? fn.name, r.text, `allow tcp/${target.port} from the function's group to the load balancer's group`);
}

function apiListenerAt(index: PlanIndex, address: string): { loadBalancer: PlanRecord; port: number } | undefined {
    for (const listener of index.ofType(TYPES.listener)) {
        const loadBalancer = index.resolve(TYPES.loadBalancer, listener.inputs.loadBalancerArn);
        if (loadBalancer?.inputs.internal === true && `${String(index.outputs(loadBalancer).dnsName)}:${String(listener.inputs.port)}` === address) {
            return { loadBalancer, port: Number(listener.inputs.port) };
        }
    }
    return undefined;
}
