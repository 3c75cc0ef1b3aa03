// policies/rules/productionConsulServers.ts: production-consul-servers-ha.
import { expect } from "chai";
import { mockId } from "../../../src/offline/mockOutputs";
import { productionConsulServers } from "../../../policies/rules/productionConsulServers";
import { edit, messages, resource, safeStack, serverAgentConfig, userDataFor } from "../../support/policyFixtures";
import { T } from "../../support/typeTokens";

const setConfig = (config: Record<string, unknown>) => (inputs: Record<string, unknown>) => ({ ...inputs, userData: userDataFor(config) });
const devServerTask = (stack: string, command: string[]) =>
    resource(T.td, "consul-dev-server-td", { requiresCompatibilities: ["FARGATE"], containerDefinitions: JSON.stringify([{ name: "consul-server", image: "hashicorp/consul:2.0.1", command }]) }, { stack });

describe("policy production-consul-servers-ha", () => {
    it("accepts 3 ha servers over 3 subnets in prod", async () => {
        expect(await messages(safeStack("prod"), productionConsulServers)).to.deep.equal([]);
    });

    it("rejects an even or too small server count, and a count scaling may change", async () => {
        const even = edit(edit(safeStack(), "consul-servers", (i) => ({ ...i, desiredCapacity: 4, minSize: 4, maxSize: 4 })), "consul-servers-lt", setConfig(serverAgentConfig(4)));
        expect(await messages(even, productionConsulServers)).to.deep.equal([
            'production-consul-servers-ha: aws:autoscaling/group:Group "consul-servers" runs 4 Consul servers; production needs an odd number of at least 3 (3 survive one loss, 5 survive two)',
        ]);
        const loose = edit(safeStack(), "consul-servers", (i) => ({ ...i, minSize: 1, maxSize: 5 }));
        expect((await messages(loose, productionConsulServers)).join()).to.include("has minSize 1, maxSize 5, desiredCapacity 3");
    });

    it("rejects servers in fewer than 3 availability zones", async () => {
        const two = edit(safeStack(), "consul-servers", (i) => ({ ...i, vpcZoneIdentifiers: ["subnet-a", "subnet-b"] }));
        expect(await messages(two, productionConsulServers)).to.deep.equal([
            'production-consul-servers-ha: aws:autoscaling/group:Group "consul-servers" spreads its Consul servers over 2 subnet(s); production needs at least 3 availability zones (bluegreen:network.azCount >= 3)',
        ]);
        const subnets = ["a", "b", "c"].map((s, i) => resource(T.subnet, `private-${s}`, { availabilityZone: i < 2 ? "eu-west-1a" : "eu-west-1b" }));
        const inTwoZones = edit([...safeStack(), ...subnets], "consul-servers", (i) => ({ ...i, vpcZoneIdentifiers: subnets.map((s) => mockId(s.name)) }));
        expect((await messages(inTwoZones, productionConsulServers)).join()).to.include("over 2 availability zone(s) (eu-west-1a, eu-west-1b)");
    });

    it("rejects a dev-mode server on ECS in a production stack, and ignores other stacks", async () => {
        const stack = [...safeStack("prod"), devServerTask("prod", ["agent", "-server", "-bootstrap"])];
        expect(await messages(stack, productionConsulServers)).to.deep.equal([
            'production-consul-servers-ha: aws:ecs/taskDefinition:TaskDefinition "consul-dev-server-td" runs a Consul server on ECS in production stack "prod": dev-mode servers lose their data on restart; use servers.mode: ha',
        ]);
        expect(await messages([...safeStack("dev"), devServerTask("dev", ["agent"])], productionConsulServers)).to.deep.equal([]);
        expect(await messages([...safeStack("eu-prod"), devServerTask("eu-prod", ["agent"])], productionConsulServers)).to.have.length(1);
    });
});
