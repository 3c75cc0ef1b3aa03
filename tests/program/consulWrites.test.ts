// The program's Consul writes, across every component that makes them.
import { expect } from "chai";
import { examplePlan } from "../support/harness";
import { T } from "../support/typeTokens";

describe("the program's Consul writes", () => {
    it("go through the stack's own Consul provider, never a default one (which would dial localhost:8500)", async () => {
        for (const stack of ["dev", "prod"] as const) {
            const p = await examplePlan(stack);
            const provider = p.named("consul-consul", T.consulProvider);
            const writes = p.resources.filter((r) => r.type.startsWith("consul:index/"));
            expect(writes.length, stack).to.be.greaterThan(10);
            for (const write of writes) {
                expect(write.provider, `${stack} ${write.name}`).to.equal(`${provider.urn}::consul-consul-id`);
            }
        }
    });
});
