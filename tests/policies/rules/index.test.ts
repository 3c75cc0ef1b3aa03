// policies/rules/index.ts: the pack's rules as a set, and the names they share with the program.
import { expect } from "chai";
import * as meshNames from "../../../src/mesh/names";
import * as packNames from "../../../policies/rules/names";
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

    it("use the program's own names (the pack keeps copies of them)", () => {
        expect(packNames.MESH_TAG).to.equal(meshNames.MESH_TAG);
        expect(packNames.GATEWAY_LISTENER_PORT).to.equal(meshNames.GATEWAY_LISTENER.port);
        expect(packNames.COLOUR_META_KEY).to.equal(meshNames.COLOUR_META_KEY);
        expect(packNames.COLOUR_HEADER).to.equal(meshNames.COLOUR_HEADER);
        for (const colour of ["blue", "green"]) {
            expect(packNames.stickyServiceName("orders", colour)).to.equal(meshNames.stickyServiceName("orders", colour));
        }
        expect(packNames.stickyCookieName("orders")).to.equal(meshNames.stickyCookieName("orders"));
        expect(packNames.isProductionStack("prod") && packNames.isProductionStack("eu-prod") && !packNames.isProductionStack("products")).to.equal(true);
    });

    it("accept a complete safe stack, named prod or dev", async () => {
        expect(await messages(safeStack("prod"))).to.deep.equal([]);
        expect(await messages(safeStack("dev"))).to.deep.equal([]);
    });
});
