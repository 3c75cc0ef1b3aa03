// Phase 1: the Consul servers boot, read their secrets, find each other and elect a leader.
// Quorum needs every server started with bootstrap_expect = the number of servers (ha) or alone in
// bootstrap mode (dev), a retry_join that finds the others (and the role to make its AWS call),
// and the server ports open between servers: 8300 RPC, 8301 LAN gossip, 8302 WAN gossip (every
// server joins the WAN pool, on TCP and UDP). With default-deny ACLs a server also needs an agent
// token, or it cannot update its own node ("Node info update blocked by ACLs").
import { PreflightContext, serversEndpoint } from "../context";
import { checkDiscovery, parseDiscovery } from "../discovery";
import { asStringArray } from "../planIndex";
import { failed, passed, StepResult } from "../report";
import { checkSecretAccess } from "../secretAccess";
import { Protocol } from "../securityGroups";
import { ServerFleet } from "../serverFleet";

const PHASE = "Consul servers";

const PEER_PORTS: readonly { readonly port: number; readonly protocol: Protocol; readonly purpose: string }[] = [
    { port: 8300, protocol: "tcp", purpose: "server RPC (Raft)" },
    { port: 8301, protocol: "tcp", purpose: "LAN gossip" },
    { port: 8301, protocol: "udp", purpose: "LAN gossip" },
    { port: 8302, protocol: "tcp", purpose: "WAN gossip" },
    { port: 8302, protocol: "udp", purpose: "WAN gossip" },
];

export async function serversQuorum(ctx: PreflightContext): Promise<StepResult[]> {
    const fleet = ctx.fleet;
    if (!fleet) {
        return [failed(PHASE, "servers.found", "(none)", "the plan runs no Consul server (no Auto Scaling group or ECS service with a server agent configuration)", "plan the stack's servers (bluegreen:consul.servers)")];
    }
    const results = [bootstrap(fleet)];
    results.push(...(await join(ctx, fleet)));
    results.push(...peerPorts(ctx, fleet));
    for (const valueFrom of fleet.secretArns) {
        results.push(await checkSecretAccess(ctx, PHASE, "servers.secrets", { role: fleet.secretReader, label: "the servers", resource: fleet.bootRecord.name }, { label: secretLabel(valueFrom), valueFrom }));
    }
    results.push(agentToken(fleet));
    return results;
}

function bootstrap(fleet: ServerFleet): StepResult {
    const expect = fleet.agentConfig.bootstrap_expect;
    if (fleet.mode === "dev") {
        return fleet.agentConfig.bootstrap === true && fleet.count === 1
            ? passed(PHASE, "servers.bootstrap", fleet.record.name, "one server in bootstrap mode elects itself")
            : failed(PHASE, "servers.bootstrap", fleet.bootRecord.name, `a dev server needs bootstrap = true and one task; found bootstrap = ${String(fleet.agentConfig.bootstrap)}, ${fleet.count} task(s)`, "run exactly one dev server with bootstrap = true");
    }
    if (expect !== fleet.count) {
        return failed(
            PHASE,
            "servers.bootstrap",
            fleet.bootRecord.name,
            `bootstrap_expect is ${String(expect)} but ${fleet.record.name} runs ${fleet.count} servers: ${typeof expect === "number" && expect > fleet.count ? "no leader is ever elected" : "the first servers elect a leader before the others join"}`,
            `set bootstrap_expect to ${fleet.count} (the group's desired capacity)`,
        );
    }
    if (fleet.count < 3 || fleet.count % 2 === 0) {
        return failed(PHASE, "servers.bootstrap", fleet.record.name, `${fleet.count} servers: a quorum of floor(N/2)+1 needs an odd count of at least 3 to survive a loss`, "run 3 or 5 servers");
    }
    return passed(PHASE, "servers.bootstrap", fleet.record.name, `bootstrap_expect ${fleet.count} = ${fleet.count} servers; quorum ${Math.floor(fleet.count / 2) + 1}`);
}

async function join(ctx: PreflightContext, fleet: ServerFleet): Promise<StepResult[]> {
    const entries = asStringArray(fleet.agentConfig.retry_join);
    if (fleet.count <= 1) {
        return [passed(PHASE, "servers.join", fleet.record.name, "a single server has no peer to join")];
    }
    if (entries.length === 0) {
        return [failed(PHASE, "servers.join", fleet.bootRecord.name, `${fleet.count} servers and no retry_join: they never find each other`, "add a retry_join (provider=aws tag_key=... tag_value=...)")];
    }
    const results: StepResult[] = [];
    for (const entry of entries) {
        results.push(await checkDiscovery(ctx, PHASE, "servers.join", { label: "the servers' retry_join", role: fleet.role, resource: fleet.bootRecord.name }, parseDiscovery(entry)));
    }
    return results;
}

function peerPorts(ctx: PreflightContext, fleet: ServerFleet): StepResult[] {
    if (fleet.count <= 1) {
        return [passed(PHASE, "servers.ports", fleet.record.name, "a single server has no peer to reach")];
    }
    const servers = serversEndpoint(ctx, fleet);
    return PEER_PORTS.map(({ port, protocol, purpose }) => {
        const r = ctx.net.reach(servers, servers, protocol, port);
        return r.ok
            ? passed(PHASE, "servers.ports", fleet.groups[0].name, `${purpose}: ${r.text}`)
            : failed(PHASE, "servers.ports", r.blockedAt?.name ?? fleet.record.name, `${purpose} between servers: ${r.text}`, `allow ${protocol}/${port} from the servers' group to itself, ingress and egress`);
    });
}

function agentToken(fleet: ServerFleet): StepResult {
    const acl = (fleet.agentConfig.acl ?? {}) as { tokens?: Record<string, unknown> };
    const configured = acl.tokens?.agent !== undefined || /consul acl set-agent-token agent\b/.test(fleet.bootScript);
    return configured
        ? passed(PHASE, "servers.agentToken", fleet.bootRecord.name, "the servers boot with an agent token (acl.tokens.agent)")
        : failed(
              PHASE,
              "servers.agentToken",
              fleet.bootRecord.name,
              'no agent token: with default-deny ACLs each server logs "Node info update blocked by ACLs" and "Coordinate update blocked"',
              "give the servers an agent token (a policy with node write for their names and service read) in acl.tokens.agent, read from Secrets Manager at boot",
          );
}

function secretLabel(arn: string): string {
    const name = arn.split(":secret:")[1] ?? arn;
    return `secret ${name.replace(/-[A-Za-z0-9]{6}$/, "")}`;
}
