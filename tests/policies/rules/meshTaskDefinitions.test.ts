// policies/rules/meshTaskDefinitions.ts: mesh-task-definitions.
import { expect } from "chai";
import { meshTaskDefinitions } from "../../../policies/rules/meshTaskDefinitions";
import { meshContainers, messages, resource, safeStack } from "../../support/policyFixtures";
import { T } from "../../support/typeTokens";

type Def = Record<string, unknown> & { name: string };
const meshTask = (containers: Record<string, unknown>[], extra: Record<string, unknown> = {}) =>
    resource(T.td, "orders-blue-td", { family: "orders-blue", requiresCompatibilities: ["FARGATE"], containerDefinitions: JSON.stringify(containers), tags: { "consul.hashicorp.com/mesh": "true" }, ...extra });
const changed = (name: string, change: (c: Def) => Def) => meshContainers({ apps: ["orders"] }).map((c) => ((c as Def).name === name ? change(structuredClone(c as Def)) : c));

describe("policy mesh-task-definitions", () => {
    it("accepts a mesh task with the three consul-ecs containers and a gateway task without an app", async () => {
        expect(await messages([meshTask(meshContainers({ apps: ["orders"] }))], meshTaskDefinitions)).to.deep.equal([]);
        expect(await messages(safeStack(), meshTaskDefinitions)).to.deep.equal([]);
    });

    it("ignores task definitions without the mesh tag", async () => {
        const plain = resource(T.td, "other", { containerDefinitions: JSON.stringify([{ name: "app", image: "x" }]), tags: {} });
        expect(await messages([plain], meshTaskDefinitions)).to.deep.equal([]);
    });

    it("rejects a renamed consul-ecs container", async () => {
        const containers = changed("consul-ecs-health-sync", (c) => ({ ...c, name: "health-sync" }));
        const found = await messages([meshTask(containers)], meshTaskDefinitions);
        expect(found[0]).to.equal('mesh-task-definitions: mesh task has no container named "consul-ecs-health-sync" (consul-ecs finds its containers by these exact names: consul-ecs-mesh-init, consul-dataplane, consul-ecs-health-sync)');
    });

    it("rejects an app that does not wait for the dataplane to be HEALTHY", async () => {
        const containers = changed("orders", (c) => ({ ...c, dependsOn: [{ containerName: "consul-dataplane", condition: "START" }] }));
        expect(await messages([meshTask(containers)], meshTaskDefinitions)).to.deep.equal([
            'mesh-task-definitions: application container "orders" must depend on consul-dataplane with condition HEALTHY, or it starts before its sidecar can carry traffic',
        ]);
    });

    it("rejects sidecars that do not wait for mesh-init SUCCESS, and a dataplane without a health check", async () => {
        const containers = changed("consul-dataplane", (c) => ({ ...c, dependsOn: [], healthCheck: undefined }));
        expect(await messages([meshTask(containers)], meshTaskDefinitions)).to.deep.equal([
            "mesh-task-definitions: consul-dataplane must depend on consul-ecs-mesh-init with condition SUCCESS",
            "mesh-task-definitions: consul-dataplane has no health check, so no container can wait for it to be HEALTHY",
        ]);
    });

    it("rejects transparent proxy left on, or unset, on Fargate", async () => {
        const base = { bootstrapDir: "/consul", consulServers: { hosts: "consul" }, service: { name: "orders", port: 9090 } };
        const unset = meshContainers({ apps: ["orders"], consulEcsConfig: base });
        expect(await messages([meshTask(unset)], meshTaskDefinitions)).to.deep.equal([
            "mesh-task-definitions: consul-ecs-mesh-init: CONSUL_ECS_CONFIG_JSON leaves transparent proxy unset (which means enabled); Fargate has no NET_ADMIN, set transparentProxy.enabled = false",
        ]);
        const on = meshContainers({ apps: ["orders"], consulEcsConfig: { ...base, transparentProxy: { enabled: true } } });
        expect((await messages([meshTask(on)], meshTaskDefinitions)).join()).to.include("leaves transparent proxy enabled");
        const gateway = { bootstrapDir: "/consul", consulServers: { hosts: "consul" }, gateway: { kind: "api-gateway", name: "api-gateway" } };
        expect(await messages([meshTask(meshContainers({ consulEcsConfig: gateway }))], meshTaskDefinitions)).to.deep.equal([]);
        const gatewayOn = meshContainers({ consulEcsConfig: { ...gateway, transparentProxy: { enabled: true } } });
        expect((await messages([meshTask(gatewayOn)], meshTaskDefinitions)).join()).to.include("leaves transparent proxy enabled");
        // On EC2 capacity transparent proxy is possible, so the rule does not insist there.
        expect(await messages([meshTask(on, { requiresCompatibilities: ["EC2"] })], meshTaskDefinitions)).to.deep.equal([]);
    });

    it("rejects container definitions it cannot read", async () => {
        expect(await messages([meshTask([], { containerDefinitions: "[secret]" })], meshTaskDefinitions)).to.deep.equal([
            "mesh-task-definitions: containerDefinitions is a secret, so a secret value is written into the task definition in plain text",
        ]);
    });
});
