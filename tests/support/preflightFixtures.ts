// Plans of the example stacks as plan records the preflight reads, copied so a test can break one
// link by editing the records, and a "repaired" copy in which the defects issue 10 lists as open are
// fixed the way the program is to fix them, so that every link of it holds.
import { expect } from "chai";
import { runPreflight } from "../../src/preflight/preflight";
import { PlanRecord, PlanRecords } from "../../src/preflight/planIndex";
import { failures, PreflightReport } from "../../src/preflight/report";
import { examplePlan } from "./harness";

export interface MutableRecord extends PlanRecord {
    inputs: Record<string, unknown>;
}
export interface MutablePlan extends PlanRecords {
    resources: MutableRecord[];
}

export async function planRecords(stack: "dev" | "prod"): Promise<MutablePlan> {
    const plan = await examplePlan(stack);
    return structuredClone({ stack, resources: plan.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, parent: r.parent, inputs: r.inputs })), reads: plan.result.reads }) as MutablePlan;
}

export function record(plan: MutablePlan, name: string, typeSuffix: string): MutableRecord {
    const found = plan.resources.filter((r) => r.name === name && r.type.endsWith(typeSuffix));
    expect(found, `${typeSuffix} ${name}`).to.have.length(1);
    return found[0];
}

export function remove(plan: MutablePlan, name: string, typeSuffix: string): void {
    plan.resources.splice(plan.resources.indexOf(record(plan, name, typeSuffix)), 1);
}

/** Edits a JSON document carried as a string input (a policy, container definitions, a config entry). */
export function editJson<T>(r: MutableRecord, key: string, edit: (doc: T) => void): void {
    const doc = JSON.parse(String(r.inputs[key])) as T;
    edit(doc);
    r.inputs[key] = JSON.stringify(doc);
}

interface PolicyDoc {
    Statement: { Sid?: string; Effect?: string; Action: string[] | string; Resource: string[] | string }[];
}

export function editPolicy(plan: MutablePlan, rolePolicyName: string, edit: (doc: PolicyDoc) => void): void {
    editJson<PolicyDoc>(record(plan, rolePolicyName, ":RolePolicy"), "policy", edit);
}

export function dropStatement(plan: MutablePlan, rolePolicyName: string, sid: string): void {
    editPolicy(plan, rolePolicyName, (doc) => {
        const before = doc.Statement.length;
        doc.Statement = doc.Statement.filter((s) => s.Sid !== sid);
        expect(doc.Statement.length, `statement ${sid} of ${rolePolicyName}`).to.equal(before - 1);
    });
}

/** The base64 user data of the ha servers' launch template, edited as text. */
export function editUserData(plan: MutablePlan, edit: (script: string) => string): void {
    const template = record(plan, "consul-server", ":LaunchTemplate");
    const script = Buffer.from(String(template.inputs.userData), "base64").toString("utf8");
    const edited = edit(script);
    expect(edited, "the edit changed the user data").to.not.equal(script);
    template.inputs.userData = Buffer.from(edited, "utf8").toString("base64");
}

interface Container {
    name: string;
    command?: string[];
    environment?: { name: string; value: string }[];
}

export function editContainers(plan: MutablePlan, taskDefinition: string, edit: (containers: Container[]) => void): void {
    editJson<Container[]>(record(plan, taskDefinition, ":TaskDefinition"), "containerDefinitions", edit);
}

const TOKENS_TEMPLATE = '"tokens": {"initial_management": "%s"}';
const TOKENS_WITH_AGENT = '"tokens": {"initial_management": "%s", "agent": "%s"}';

/**
 * Fixes, in the records, the defects of issue 10 the preflight finds in the example stacks while
 * they are open: the controller's task role lacks ec2:DescribeInstances (ha), the servers' group
 * lacks 8302 between servers (ha), the servers boot without an agent token, the public listener
 * forwards requests that carry the colour header. Each repair applies
 * only where the plan still has the defect, so this keeps working once the program is fixed.
 */
export async function repairedPlan(stack: "dev" | "prod"): Promise<MutablePlan> {
    let cached = repaired.get(stack);
    if (!cached) {
        cached = repair(stack);
        repaired.set(stack, cached);
    }
    return structuredClone(await cached);
}

const repaired = new Map<string, Promise<MutablePlan>>();

async function repair(stack: "dev" | "prod"): Promise<MutablePlan> {
    const plan = await planRecords(stack);
    const open = new Set(failures(await runPreflight(plan)).map((f) => f.step));
    if (open.has("controller.discovery")) {
        editPolicy(plan, "consul-ecs-controller-task", (doc) => doc.Statement.push({ Sid: "DiscoverConsulServers", Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" }));
    }
    if (open.has("servers.ports")) {
        for (const [direction, type] of [
            ["in", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"],
            ["out", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"],
        ] as const) {
            for (const protocol of ["tcp", "udp"]) {
                const name = `sg-servers-${direction}-${protocol}8302-servers`;
                plan.resources.push({
                    type,
                    name,
                    urn: `urn:pulumi:${stack}::bluegreen::${type}::${name}`,
                    inputs: { securityGroupId: "sg-servers-id", referencedSecurityGroupId: "sg-servers-id", ipProtocol: protocol, fromPort: 8302, toPort: 8302 },
                });
            }
        }
    }
    if (open.has("servers.agentToken")) {
        if (stack === "prod") {
            editUserData(plan, (script) => script.replace(TOKENS_TEMPLATE, TOKENS_WITH_AGENT));
        } else {
            editContainers(plan, "consul-server", (containers) => {
                containers[0].command = containers[0].command?.map((line) => line.replace(TOKENS_TEMPLATE, TOKENS_WITH_AGENT));
            });
        }
    }
    if (open.has("alb.colourHeader")) {
        for (const listener of failures(await runPreflight(plan)).filter((f) => f.step === "alb.colourHeader")) {
            plan.resources.push(colourHeaderRefusal(stack, listener.resource));
        }
    }
    return plan;
}

/** A listener rule refusing the colour header with 403, on the listener named. */
function colourHeaderRefusal(stack: string, listener: string): MutableRecord {
    const name = `${listener}-colour-header-refused`;
    return {
        type: "aws:lb/listenerRule:ListenerRule",
        name,
        urn: `urn:pulumi:${stack}::bluegreen::aws:lb/listenerRule:ListenerRule::${name}`,
        inputs: {
            listenerArn: `${listener}-id`,
            priority: 100,
            conditions: [{ httpHeader: { httpHeaderName: "x-bluegreen-color", values: ["*"] } }],
            actions: [{ type: "fixed-response", fixedResponse: { statusCode: "403", contentType: "text/plain", messageBody: "refused\n" } }],
        },
    };
}

/** The failed steps of a report, as `step resource` lines (sorted, without repeats). */
export function failedLinks(report: PreflightReport): string[] {
    return [...new Set(failures(report).map((f) => `${f.step} ${f.resource}`))].sort();
}

export async function failedLinksOf(plan: PlanRecords): Promise<string[]> {
    return failedLinks(await runPreflight(plan));
}
