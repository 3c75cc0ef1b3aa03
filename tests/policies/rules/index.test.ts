// policies/rules/index.ts: the pack's rules as a set.
import { expect } from "chai";
import { policies } from "../../../policies/rules";
import { messages, safeStack } from "../../support/policyFixtures";

describe("the policy pack's rules", () => {
    it("have unique names, descriptions and an enforcement level each", () => {
        const names = policies.map((p) => p.name);
        expect(new Set(names).size).to.equal(names.length);
        for (const p of policies) {
            expect(p.description, p.name).to.have.length.above(40);
            expect(["mandatory", "advisory"], p.name).to.include(p.enforcementLevel);
        }
        expect(policies.filter((p) => p.enforcementLevel === "advisory").map((p) => p.name)).to.deep.equal(["consul-servers-tls-acls-nonprod"]);
    });

    it("accept a complete safe stack, named prod or dev", async () => {
        expect(await messages(safeStack("prod"))).to.deep.equal([]);
        expect(await messages(safeStack("dev"))).to.deep.equal([]);
    });
});
