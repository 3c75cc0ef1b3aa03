// Phase 4: every mesh task (each colour of each service, and the API gateway) starts. ECS injects
// its secrets through the execution role (read and decrypt); mesh-init finds the servers, reaches
// their HTTPS API and logs in through the controller's IAM auth method, which accepts a task role
// under the controller's iamRolePath whose consul.hashicorp.com.service-name tag is the Consul name
// the task registers, and which may call iam:GetRole on itself (the login is signed with it); the
// dataplane then connects to the servers' gRPC port.
import { PreflightContext, serversEndpoint, taskEndpoint } from "../context";
import { checkDiscovery, parseDiscovery } from "../discovery";
import { failed, passed, StepResult } from "../report";
import { checkSecretAccess } from "../secretAccess";
import { consulName, controllerTask, EcsTask, injectedSecrets, meshTasks as findMeshTasks } from "../tasks";

const PHASE = "Mesh tasks";
const AUTH_METHOD = "iam-ecs-service-token";
const SERVICE_NAME_TAG = "consul.hashicorp.com.service-name";
const GATEWAY_KIND_TAG = "consul.hashicorp.com.gateway-kind";

export async function meshTasks(ctx: PreflightContext): Promise<StepResult[]> {
    const rolePath = controllerTask(ctx.index)?.config?.controller?.iamRolePath ?? "/consul-ecs/";
    const results: StepResult[] = [];
    for (const task of findMeshTasks(ctx.index)) {
        results.push(...(await meshTask(ctx, task, rolePath)));
    }
    return results;
}

async function meshTask(ctx: PreflightContext, task: EcsTask, rolePath: string): Promise<StepResult[]> {
    const name = task.taskDefinition.name;
    const results: StepResult[] = [];
    for (const use of injectedSecrets(task)) {
        results.push(await checkSecretAccess(ctx, PHASE, "mesh.secrets", { role: task.executionRole, label: `${name}'s execution role`, resource: name }, use));
    }
    const servers = task.config?.consulServers;
    results.push(await checkDiscovery(ctx, PHASE, "mesh.discovery", { label: `${name}'s mesh-init`, role: task.taskRole, resource: name }, parseDiscovery(servers?.hosts ?? "")));
    if (ctx.fleet) {
        const to = serversEndpoint(ctx, ctx.fleet);
        for (const [step, port, who] of [
            ["mesh.network", servers?.http?.port ?? 8501, "mesh-init to the servers' HTTPS API"],
            ["mesh.dataplane", servers?.grpc?.port ?? 8503, "the dataplane to the servers' gRPC"],
        ] as const) {
            const r = ctx.net.reach(taskEndpoint(ctx, task), to, "tcp", port);
            results.push(r.ok ? passed(PHASE, step, name, `${who}: ${r.text}`) : failed(PHASE, step, r.blockedAt?.name ?? name, `${who}: ${r.text}`, `allow tcp/${port} from the task's group to the servers' group`));
        }
    }
    results.push(...(await login(ctx, task, rolePath)));
    return results;
}

async function login(ctx: PreflightContext, task: EcsTask, rolePath: string): Promise<StepResult[]> {
    const name = task.taskDefinition.name;
    const registered = consulName(task);
    const loginConfig = task.config?.consulLogin;
    if (loginConfig?.enabled !== true || (loginConfig.method ?? AUTH_METHOD) !== AUTH_METHOD) {
        return [failed(PHASE, "mesh.login", name, `consulLogin is ${JSON.stringify(loginConfig ?? {})}: with ACLs mesh-init must log in through ${AUTH_METHOD}`, `set consulLogin to { enabled: true, method: "${AUTH_METHOD}" }`)];
    }
    const role = task.taskRole;
    if (!role) {
        return [failed(PHASE, "mesh.login", name, "the task has no task role of the plan to log in with", "give it a task role under /consul-ecs/")];
    }
    const problems: StepResult[] = [];
    const path = String(role.inputs.path ?? "/");
    if (path !== rolePath) {
        problems.push(failed(PHASE, "mesh.login", role.name, `the task role's path is ${path}; the auth method accepts only roles under ${rolePath}`, `create role ${role.name} with path ${rolePath}`));
    }
    const tags = (role.inputs.tags ?? {}) as Record<string, string>;
    if (tags[SERVICE_NAME_TAG] !== registered) {
        problems.push(
            failed(PHASE, "mesh.login", role.name, `the task registers as ${String(registered)} but its role's ${SERVICE_NAME_TAG} tag is ${tags[SERVICE_NAME_TAG] ?? "missing"}: the token would be for another identity`, `tag role ${role.name} ${SERVICE_NAME_TAG}=${String(registered)}`),
        );
    }
    const gatewayKind = task.config?.gateway?.kind;
    if (gatewayKind !== undefined && tags[GATEWAY_KIND_TAG] !== gatewayKind) {
        problems.push(failed(PHASE, "mesh.login", role.name, `a ${gatewayKind} logs in with a role tagged ${GATEWAY_KIND_TAG}=${gatewayKind}; found ${tags[GATEWAY_KIND_TAG] ?? "no such tag"}`, `tag role ${role.name} ${GATEWAY_KIND_TAG}=${gatewayKind}`));
    }
    const getRole = await ctx.iam.decide(role, { action: "iam:GetRole", resource: ctx.index.arn(role) });
    if (!getRole.allowed) {
        problems.push(failed(PHASE, "mesh.login", role.name, `the IAM auth method's login calls iam:GetRole as the task: ${getRole.text}`, `allow iam:GetRole on ${ctx.index.arn(role)} in the policy of role ${role.name}`));
    }
    return problems.length > 0 ? problems : [passed(PHASE, "mesh.login", role.name, `logs in as ${String(registered)} through ${AUTH_METHOD}: role under ${rolePath}, tagged ${SERVICE_NAME_TAG}=${String(registered)}, iam:GetRole on itself allowed`)];
}
