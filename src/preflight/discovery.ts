// How a Consul agent or consul-ecs finds the servers: go-discover's AWS provider (`provider=aws
// tag_key=... tag_value=...`, as retry_join or `exec=discover ...` in consulServers.hosts) calls
// ec2:DescribeInstances with the caller's own credentials and keeps the running instances that carry
// the tag; a DNS name must be the one the servers register under.
import { PreflightContext } from "./context";
import { PlanRecord } from "./planIndex";
import { failed, passed, Phase, StepResult } from "./report";

export type Discovery =
    | { readonly kind: "aws"; readonly text: string; readonly region?: string; readonly tagKey?: string; readonly tagValue?: string }
    | { readonly kind: "dns"; readonly text: string; readonly name: string }
    | { readonly kind: "other"; readonly text: string };

/** Parses a retry_join entry or a consulServers.hosts value. */
export function parseDiscovery(text: string): Discovery {
    const command = text.startsWith("exec=") ? text.slice("exec=".length) : text;
    const args = Object.fromEntries(
        command
            .split(/\s+/)
            .filter((word) => word.includes("="))
            .map((word) => [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)]),
    );
    if (args.provider === "aws") {
        return { kind: "aws", text, region: args.region, tagKey: args.tag_key, tagValue: args.tag_value };
    }
    if (!text.startsWith("exec=") && /^[A-Za-z0-9.-]+$/.test(text)) {
        return { kind: "dns", text, name: text };
    }
    return { kind: "other", text };
}

/**
 * Whether `caller` (a role, used by `who`) finds the servers through `discovery`: the discovery call
 * is allowed, and it selects the servers the plan runs.
 */
export async function checkDiscovery(
    ctx: PreflightContext,
    phase: Phase,
    step: string,
    who: { readonly label: string; readonly role?: PlanRecord; readonly resource: string },
    discovery: Discovery,
): Promise<StepResult> {
    const fleet = ctx.fleet;
    if (!fleet) {
        return failed(phase, step, who.resource, "the plan runs no Consul server to find", "plan the stack's Consul servers (bluegreen:consul.servers)");
    }
    if (discovery.kind === "dns") {
        return discovery.name === fleet.dnsName
            ? passed(phase, step, who.resource, `${who.label} finds the servers by the DNS name ${discovery.name}, which ${fleet.record.name} registers`)
            : failed(
                  phase,
                  step,
                  who.resource,
                  `${who.label} looks for the servers at ${discovery.name}, but ${fleet.record.name} registers ${fleet.dnsName ?? "no DNS name"}`,
                  `point consulServers.hosts at ${fleet.dnsName ?? "the servers' address"}`,
              );
    }
    if (discovery.kind === "other") {
        return failed(phase, step, who.resource, `${who.label} finds the servers with "${discovery.text}", which the preflight cannot follow`, "use the servers' DNS name or go-discover's provider=aws");
    }
    if (!who.role) {
        return failed(phase, step, who.resource, `${who.label} calls ec2:DescribeInstances for "${discovery.text}" but runs with no role of the plan`, "give it a role");
    }
    const decision = await ctx.iam.decide(who.role, { action: "ec2:DescribeInstances", resource: "*" });
    if (!decision.allowed) {
        return failed(
            phase,
            step,
            who.role.name,
            `${who.label} finds the servers with "${discovery.text}": go-discover's AWS provider calls ec2:DescribeInstances with its role's credentials, and ${decision.text}`,
            `allow ec2:DescribeInstances on "*" in the policy of role ${who.role.name}`,
        );
    }
    const tagged = discovery.tagKey !== undefined && fleet.instanceTags[discovery.tagKey] === discovery.tagValue;
    if (fleet.mode !== "ha" || !tagged) {
        return failed(
            phase,
            step,
            fleet.bootRecord.name,
            `${who.label} looks for instances tagged ${discovery.tagKey}=${discovery.tagValue}, but the servers (${fleet.bootRecord.name}) ${fleet.mode === "ha" ? "carry no such tag" : "are no EC2 instances"}`,
            `tag the server instances ${discovery.tagKey}=${discovery.tagValue}, or look for the tag they carry`,
        );
    }
    if (discovery.region !== undefined && discovery.region !== ctx.index.region) {
        return failed(phase, step, who.resource, `${who.label} looks for the servers in ${discovery.region}, but the stack runs in ${ctx.index.region}`, `use region=${ctx.index.region}`);
    }
    return passed(phase, step, who.resource, `ec2:DescribeInstances allowed to ${who.role.name}; the servers carry ${discovery.tagKey}=${discovery.tagValue}`);
}
