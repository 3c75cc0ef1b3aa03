// policies/rules/weightOnRunningColours.ts: weight-only-on-running-colours.
import { expect } from "chai";
import { weightOnlyOnRunningColours } from "../../../policies/rules/weightOnRunningColours";
import { edit, messages, safeStack, without } from "../../support/policyFixtures";

type Split = { service: string; serviceSubset?: string; weight: unknown };
const setSplits = (splits: Split[]) => (inputs: Record<string, unknown>) => ({ ...inputs, splits });

describe("policy weight-only-on-running-colours", () => {
    const toGreen = setSplits([{ service: "orders", serviceSubset: "blue", weight: 0 }, { service: "orders", serviceSubset: "green", weight: 100 }]);

    it("accepts weight on colours whose ECS service runs tasks", async () => {
        expect(await messages(edit(safeStack(), "orders-splitter", toGreen), weightOnlyOnRunningColours)).to.deep.equal([]);
    });

    it("accepts a colour with no weight and no tasks", async () => {
        const idle = edit(safeStack(), "orders-green", (i) => ({ ...i, desiredCount: 0 }));
        expect(await messages(idle, weightOnlyOnRunningColours)).to.deep.equal([]);
    });

    it("rejects weight on a colour whose ECS service has a desired count of 0", async () => {
        const stack = edit(edit(safeStack(), "orders-splitter", toGreen), "orders-green", (i) => ({ ...i, desiredCount: 0 }));
        expect(await messages(stack, weightOnlyOnRunningColours)).to.deep.equal([
            'weight-only-on-running-colours: splitter "orders" gives weight 100 to colour "green" of service "orders", whose ECS service aws:ecs/service:Service "orders-green" has a desired count of 0: scale it up first or move the weight away',
        ]);
    });

    it("rejects weight on a colour that no ECS service runs", async () => {
        const stack = without(edit(safeStack(), "orders-splitter", toGreen), "orders-green");
        expect((await messages(stack, weightOnlyOnRunningColours)).join("\n")).to.include("no ECS service is tagged bluegreen:service=orders and bluegreen:colour=green");
    });

    it("finds the colour through the resolver subset's filter", async () => {
        const renamed = edit(edit(safeStack(), "orders-resolver", (i) => ({ ...i, subsets: [{ name: "live", filter: 'Service.Meta.version == "green"', onlyPassing: true }, { name: "blue", filter: 'Service.Meta.version == "blue"', onlyPassing: true }] })), "orders-splitter", setSplits([{ service: "orders", serviceSubset: "live", weight: 100 }, { service: "orders", serviceSubset: "blue", weight: 0 }]));
        const stopped = edit(renamed, "orders-green", (i) => ({ ...i, desiredCount: 0 }));
        expect((await messages(stopped, weightOnlyOnRunningColours)).join("\n")).to.include('to colour "green" of service "orders"');
    });
});
