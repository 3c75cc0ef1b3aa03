// Loading stack config inside the real program: an invalid config stops it before any resource
// is registered, with one message a user can act on and no stack trace.
import { expect } from "chai";
import { reportError } from "../../cli/shared/run";
import { plan, services } from "../support/harness";

describe("loadStackConfig", () => {
    it("registers nothing when the config is invalid, and says why", async () => {
        let error: unknown;
        try {
            await plan("dev", (c) => (services(c).orders.traffic = { blue: 70, green: 20 }));
        } catch (err) {
            error = err;
        }
        expect(error).to.be.instanceOf(Error);
        expect((error as Error).message).to.include("bluegreen:services.orders.traffic: weights sum to 90");
        const out: string[] = [];
        expect(reportError(error, (t) => out.push(t))).to.equal(1);
        expect(out.join("\n")).to.not.include("    at ");
    });
});
