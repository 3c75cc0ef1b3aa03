// A mesh task (tagged consul.hashicorp.com/mesh=true) works only with the three consul-ecs
// containers under their exact names (consul-ecs finds them by name), started in order: mesh-init
// first, then the dataplane and health-sync, and the application only once the dataplane is
// HEALTHY. On Fargate there is no NET_ADMIN, so transparent proxy must be off explicitly (absent
// means on, and mesh-init then fails).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { Container, environmentValue, parseContainerDefinitions } from "./containers";
import { CONSUL_ECS_CONFIG_ENV, CONTAINERS, MESH_CONTAINERS, MESH_TAG } from "../../src/shared/meshNames";
import { asArray, asBoolean, asRecord, parseJsonInput, tagsOf, TYPES } from "./resources";

function dependsOn(container: Container, on: string, condition: string): boolean {
    return container.dependsOn.some((d) => d.containerName === on && d.condition === condition);
}

/** Problems with transparent proxy in a consul-ecs config document; none when it is off. */
function transparentProxyProblem(container: Container): string | undefined {
    const raw = environmentValue(container, CONSUL_ECS_CONFIG_ENV);
    if (raw === undefined) {
        return `${container.name} has no ${CONSUL_ECS_CONFIG_ENV}; consul-ecs needs it, with transparentProxy.enabled = false on Fargate`;
    }
    const config = asRecord(parseJsonInput(raw));
    if (Object.keys(config).length === 0) {
        return `${container.name}: ${CONSUL_ECS_CONFIG_ENV} is not a JSON object`;
    }
    const enabled = asBoolean(asRecord(config.transparentProxy).enabled);
    // A gateway task has no application traffic to redirect; only an explicit `true` is wrong there.
    const isGateway = Object.keys(asRecord(config.gateway)).length > 0;
    if (enabled === true || (enabled === undefined && !isGateway)) {
        return `${container.name}: ${CONSUL_ECS_CONFIG_ENV} leaves transparent proxy ${enabled === true ? "enabled" : "unset (which means enabled)"}; Fargate has no NET_ADMIN, set transparentProxy.enabled = false`;
    }
    return undefined;
}

function meshTaskProblems(props: Record<string, unknown>): string[] {
    const parsed = parseContainerDefinitions(props.containerDefinitions);
    if (!parsed.ok) {
        return [parsed.problem];
    }
    const problems: string[] = [];
    const byName = new Map(parsed.containers.map((c) => [c.name, c]));
    for (const name of MESH_CONTAINERS) {
        if (!byName.has(name)) {
            problems.push(`mesh task has no container named "${name}" (consul-ecs finds its containers by these exact names: ${MESH_CONTAINERS.join(", ")})`);
        }
    }
    const dataplane = byName.get(CONTAINERS.dataplane);
    const healthSync = byName.get(CONTAINERS.healthSync);
    const meshInit = byName.get(CONTAINERS.meshInit);
    for (const sidecar of [dataplane, healthSync]) {
        if (sidecar && !dependsOn(sidecar, CONTAINERS.meshInit, "SUCCESS")) {
            problems.push(`${sidecar.name} must depend on ${CONTAINERS.meshInit} with condition SUCCESS`);
        }
    }
    if (dataplane && !dataplane.hasHealthCheck) {
        problems.push(`${CONTAINERS.dataplane} has no health check, so no container can wait for it to be HEALTHY`);
    }
    for (const app of parsed.containers.filter((c) => !MESH_CONTAINERS.includes(c.name))) {
        if (!dependsOn(app, CONTAINERS.dataplane, "HEALTHY")) {
            problems.push(`application container "${app.name}" must depend on ${CONTAINERS.dataplane} with condition HEALTHY, or it starts before its sidecar can carry traffic`);
        }
    }
    const compatibilities = asArray(props.requiresCompatibilities);
    if (compatibilities.includes("FARGATE") && meshInit) {
        const problem = transparentProxyProblem(meshInit);
        if (problem) {
            problems.push(problem);
        }
    }
    return problems;
}

export const meshTaskDefinitions: ResourceValidationPolicy = {
    name: "mesh-task-definitions",
    description: `Every task definition tagged ${MESH_TAG}=true has consul-ecs-mesh-init, consul-dataplane and consul-ecs-health-sync under those exact names with their dependencies, every application container depends on consul-dataplane HEALTHY, and transparent proxy is off on Fargate.`,
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type !== TYPES.taskDefinition || tagsOf(args.props)[MESH_TAG] !== "true") {
            return;
        }
        for (const problem of meshTaskProblems(args.props)) {
            reportViolation(problem);
        }
    },
};
