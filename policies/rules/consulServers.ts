// Where a stack runs its Consul servers: an EC2 Auto Scaling group (ha) whose launch template's
// user data renders the agent config, or a container of an ECS task definition (dev) whose command
// carries it.
import type { PolicyResource } from "@pulumi/policy";
import { AgentConfig, agentConfigIn } from "./agentConfig";
import { Container, parseContainerDefinitions } from "./containers";
import { asArray, asRecord, asString, linkedTo, ofType, tagsOf, TYPES } from "./resources";

export interface ServerDeployment {
    readonly mode: "ha" | "dev";
    /** The Auto Scaling group (ha) or the task definition (dev). */
    readonly resource: PolicyResource;
    /** The merged agent configuration found in it, if any. */
    readonly config?: AgentConfig;
    /** Where the configuration was looked for, for messages. */
    readonly source: string;
}

/** The Consul image (hashicorp/consul:<v>), not consul-ecs nor consul-dataplane. */
const CONSUL_SERVER_IMAGE = /(^|\/)consul(:|@|$)/;

function launchTemplateOf(asg: PolicyResource, resources: readonly PolicyResource[]): PolicyResource | undefined {
    const templates = ofType(resources, TYPES.launchTemplate);
    const direct = linkedTo(asg, "launchTemplate", TYPES.launchTemplate, templates);
    if (direct.length > 0) {
        return direct[0];
    }
    const mixed = asRecord(asRecord(asg.props.mixedInstancesPolicy).launchTemplate);
    if (Object.keys(mixed).length > 0) {
        return linkedTo(asg, "mixedInstancesPolicy", TYPES.launchTemplate, templates)[0];
    }
    return undefined;
}

function mentionsConsul(asg: PolicyResource): boolean {
    return /consul/i.test(`${asg.name} ${asString(asg.props.name) ?? ""} ${JSON.stringify(tagsOf(asg.props))} ${asg.urn}`);
}

function containerTexts(container: Container): string[] {
    return [...container.entryPoint, ...container.command, container.command.join(" "), ...container.environment.map((e) => (typeof e.value === "string" ? e.value : ""))];
}

export function serverDeployments(resources: readonly PolicyResource[]): ServerDeployment[] {
    const deployments: ServerDeployment[] = [];
    for (const asg of ofType(resources, TYPES.autoScalingGroup)) {
        const template = launchTemplateOf(asg, resources);
        const userData = asString(template?.props.userData);
        const config = userData ? agentConfigIn([userData]) : undefined;
        if (config?.server === true || mentionsConsul(asg)) {
            deployments.push({ mode: "ha", resource: asg, config, source: template ? `the user data of launch template "${template.name}"` : "its launch template (not found in the stack)" });
        }
    }
    for (const td of ofType(resources, TYPES.taskDefinition)) {
        const parsed = parseContainerDefinitions(td.props.containerDefinitions);
        if (!parsed.ok) {
            continue;
        }
        for (const container of parsed.containers) {
            const config = agentConfigIn(containerTexts(container));
            if (config?.server === true || CONSUL_SERVER_IMAGE.test(container.image)) {
                deployments.push({ mode: "dev", resource: td, config, source: `the command of container "${container.name}"` });
            }
        }
    }
    return deployments;
}

/** Subnets an Auto Scaling group spreads over, and the availability zones when the stack knows them. */
export function spreadOf(asg: PolicyResource, resources: readonly PolicyResource[]): { subnets: string[]; zones: string[] } {
    const subnetIds = asArray(asg.props.vpcZoneIdentifiers).filter((s): s is string => typeof s === "string");
    const subnets = ofType(resources, TYPES.subnet);
    const zones = new Set<string>(asArray(asg.props.availabilityZones).filter((z): z is string => typeof z === "string"));
    for (const subnet of subnets) {
        const id = asString(subnet.props.id);
        const zone = asString(subnet.props.availabilityZone);
        if (zone && id && subnetIds.includes(id)) {
            zones.add(zone);
        }
    }
    return { subnets: [...new Set(subnetIds)], zones: [...zones] };
}
