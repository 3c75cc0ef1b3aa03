// Phase 3: the consul-ecs controller starts. It must reach a server's HTTPS API, find the servers
// the way its consulServers.hosts says (for provider=aws, ec2:DescribeInstances with its task role),
// get its Consul token and the CA from Secrets Manager through its execution role, and hold a token
// whose policy allows what it writes: `acl = "write"` (the IAM auth method, binding rules, tokens),
// node write (the cluster's node), agent read (/v1/agent/self at start) and service read (the
// services of stopped tasks). It lists and describes its cluster's tasks with its task role.
import { everyName, grants, mergeAclRules, parseAclRules, topLevel } from "../aclRules";
import { PreflightContext, serversEndpoint, taskEndpoint } from "../context";
import { checkDiscovery, parseDiscovery } from "../discovery";
import { asStringArray, TYPES } from "../planIndex";
import { failed, passed, StepResult } from "../report";
import { checkSecretAccess } from "../secretAccess";
import { controllerTask, EcsTask, injectedSecrets } from "../tasks";

const PHASE = "consul-ecs controller";

export async function controller(ctx: PreflightContext): Promise<StepResult[]> {
    const task = controllerTask(ctx.index);
    if (!task) {
        return [failed(PHASE, "controller.found", "(none)", "the plan runs no consul-ecs controller: with ACLs no task can log in", "plan the controller (bluegreen:ecs:Controller)")];
    }
    const name = task.taskDefinition.name;
    const results: StepResult[] = [];
    if (ctx.fleet) {
        const port = task.config?.consulServers?.http?.port ?? 8501;
        const r = ctx.net.reach(taskEndpoint(ctx, task, "the controller"), serversEndpoint(ctx, ctx.fleet), "tcp", port);
        results.push(r.ok ? passed(PHASE, "controller.network", name, r.text) : failed(PHASE, "controller.network", r.blockedAt?.name ?? name, r.text, `allow tcp/${port} from the controller's group to the servers' group`));
    }
    const hosts = task.config?.consulServers?.hosts ?? "";
    results.push(await checkDiscovery(ctx, PHASE, "controller.discovery", { label: "the controller", role: task.taskRole, resource: name }, parseDiscovery(hosts)));
    for (const use of injectedSecrets(task)) {
        const step = use.names.includes("CONSUL_HTTP_TOKEN") ? "controller.token" : "controller.secrets";
        results.push(await checkSecretAccess(ctx, PHASE, step, { role: task.executionRole, label: "the controller's execution role", resource: name }, use));
    }
    results.push(...(await aclPolicy(ctx, task)));
    results.push(await ecsTasksAccess(ctx, task));
    return results;
}

const NEEDED: readonly { readonly what: string; readonly level: "read" | "write"; readonly granted: (rules: Record<string, unknown>) => ReturnType<typeof topLevel> }[] = [
    { what: 'acl = "write" (auth method, binding rules, tokens)', level: "write", granted: (r) => topLevel(r, "acl") },
    { what: 'node_prefix "" write (the cluster\'s node)', level: "write", granted: (r) => everyName(r, "node") },
    { what: 'agent_prefix "" read (/v1/agent/self)', level: "read", granted: (r) => everyName(r, "agent") },
    { what: 'service_prefix "" read (services of stopped tasks)', level: "read", granted: (r) => everyName(r, "service") },
];

async function aclPolicy(ctx: PreflightContext, task: EcsTask): Promise<StepResult[]> {
    const component = ctx.index.parentOf(task.taskDefinition);
    const token = component ? ctx.index.childrenOf(component, TYPES.aclToken)[0] : undefined;
    if (!token) {
        return [failed(PHASE, "controller.aclPolicy", task.taskDefinition.name, "no Consul ACL token is planned for the controller", "create its token (a consul AclToken) and keep it in the secret it reads")];
    }
    const policyNames = asStringArray(token.inputs.policies);
    const policies = ctx.index.ofType(TYPES.aclPolicy).filter((p) => policyNames.includes(String(p.inputs.name)));
    const merged = mergeAclRules(await Promise.all(policies.map((p) => parseAclRules(String(p.inputs.rules ?? "")))));
    const missing = NEEDED.filter((n) => !grants(n.granted(merged), n.level)).map((n) => n.what);
    const resource = policies[0]?.name ?? token.name;
    return [
        missing.length === 0
            ? passed(PHASE, "controller.aclPolicy", resource, `token ${token.name} may ${NEEDED.map((n) => n.what.split(" (")[0]).join(", ")}`)
            : failed(PHASE, "controller.aclPolicy", resource, `the controller's token (${token.name}, policies ${policyNames.join(", ") || "none"}) lacks ${missing.join("; ")}`, `add ${missing.map((m) => m.split(" (")[0]).join(", ")} to the controller's ACL policy`),
    ];
}

async function ecsTasksAccess(ctx: PreflightContext, task: EcsTask): Promise<StepResult> {
    const cluster = ctx.index.resolve(TYPES.ecsCluster, task.services[0]?.inputs.cluster);
    const role = task.taskRole;
    if (!cluster || !role) {
        return failed(PHASE, "controller.ecsTasks", task.taskDefinition.name, "the controller runs in no cluster of the plan, or without a task role", "run it as an ECS service of the stack's cluster with a task role");
    }
    const clusterArn = ctx.index.arn(cluster);
    const clusterName = ctx.index.physicalName(cluster);
    const list = await ctx.iam.decide(role, { action: "ecs:ListTasks", resource: "*", context: { "ecs:cluster": clusterArn } });
    const describe = await ctx.iam.decide(role, {
        action: "ecs:DescribeTasks",
        resource: `arn:${ctx.index.partition}:ecs:${ctx.index.region}:${ctx.index.account}:task/${clusterName}/0123456789abcdef0123456789abcdef`,
        context: { "ecs:cluster": clusterArn },
    });
    const denied = [list, describe].filter((d) => !d.allowed);
    return denied.length === 0
        ? passed(PHASE, "controller.ecsTasks", role.name, `ecs:ListTasks and ecs:DescribeTasks allowed in cluster ${clusterName}`)
        : failed(PHASE, "controller.ecsTasks", role.name, `the controller cannot see the tasks it cleans up after: ${denied.map((d) => d.text).join("; ")}`, `allow ecs:ListTasks and ecs:DescribeTasks for cluster ${clusterName} in the policy of role ${role.name}`);
}
