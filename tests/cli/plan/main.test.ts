// `npm run plan`: the offline plan's text and JSON reports, and its usage errors.
import { expect } from "chai";
import { plan as planCommand } from "../../../cli/plan/main";
import { reportError } from "../../../cli/shared/run";
import { withShortTraces } from "../../support/harness";
import { T } from "../../support/typeTokens";

describe("npm run plan", () => {
    it("prints resources by component, counts by type and the traffic table", async () => {
        const out: string[] = [];
        expect(await withShortTraces(() => planCommand(["--stack", "dev"], (t) => out.push(t)))).to.equal(0);
        const text = out.join("\n");
        expect(text).to.match(/Plan for stack "dev" .* \d+ resources/);
        expect(text).to.include("+ bluegreen:ecs:Cluster  ecs");
        expect(text).to.match(/aws:ecs\/cluster:Cluster\s+1/);
        expect(text).to.match(/orders\s+green\s+nicholasjackson\/fake-service:v0.26.2\s+1\s+0%/);
        expect(text).to.match(/inventory\s+blue\s+nicholasjackson\/fake-service:v0.26.2\s+1\s+100%/);
    });

    it("prints JSON that parses, with type, name, parent and inputs", async () => {
        const out: string[] = [];
        await withShortTraces(() => planCommand(["--stack", "prod", "--json"], (t) => out.push(t)));
        const doc = JSON.parse(out.join("\n"));
        expect(doc.stack).to.equal("prod");
        const cluster = doc.resources.find((r: { type: string }) => r.type === T.ecsCluster);
        expect(cluster).to.include.keys("type", "name", "parent", "inputs");
        expect(cluster.parent).to.match(/bluegreen:ecs:Cluster::ecs$/);
    });

    it("rejects an unknown stack and a missing --stack as usage errors", async () => {
        for (const args of [["--stack", "nope"], []]) {
            let error: unknown;
            try {
                await planCommand(args, () => undefined);
            } catch (err) {
                error = err;
            }
            const out: string[] = [];
            expect(reportError(error, (t) => out.push(t))).to.equal(2);
        }
    });
});
