// policies/rules/cidr.ts: the CIDR arithmetic the network rules use.
import { expect } from "chai";
import { cidrWithin, isAnywhere } from "../../../policies/rules/cidr";

describe("CIDR arithmetic", () => {
    it("knows containment and the whole internet", () => {
        expect(cidrWithin("10.50.3.0/24", "10.50.0.0/16")).to.equal(true);
        expect(cidrWithin("10.51.0.0/24", "10.50.0.0/16")).to.equal(false);
        expect(cidrWithin("10.0.0.0/8", "10.50.0.0/16")).to.equal(false);
        expect(cidrWithin("0.0.0.0/0", "10.0.0.0/8")).to.equal(false);
        expect(isAnywhere("0.0.0.0/0") && isAnywhere("::/0")).to.equal(true);
        expect(isAnywhere("10.0.0.0/8")).to.equal(false);
    });
});
