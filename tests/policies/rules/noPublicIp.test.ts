// policies/rules/noPublicIp.ts: no-public-ip.
import { expect } from "chai";
import { noPublicIp } from "../../../policies/rules/noPublicIp";
import { edit, messages, safeStack } from "../../support/policyFixtures";

describe("policy no-public-ip", () => {
    it("accepts tasks and servers without public IPs", async () => {
        expect(await messages(safeStack(), noPublicIp)).to.deep.equal([]);
    });

    it("rejects an ECS service that assigns public IPs, and a launch template that does", async () => {
        const stack = edit(safeStack(), "orders-blue", (i) => ({ ...i, networkConfiguration: { ...(i.networkConfiguration as object), assignPublicIp: true } }));
        expect(await messages(stack, noPublicIp)).to.deep.equal([
            "no-public-ip: ECS service assigns public IPs to its tasks (networkConfiguration.assignPublicIp = true); run tasks in private subnets with assignPublicIp = false",
        ]);
        const lt = edit(safeStack(), "consul-servers-lt", (i) => ({ ...i, networkInterfaces: [{ associatePublicIpAddress: "true" }] }));
        expect(await messages(lt, noPublicIp)).to.deep.equal(["no-public-ip: launch template gives instances a public IP (networkInterfaces[].associatePublicIpAddress = true)"]);
    });
});
