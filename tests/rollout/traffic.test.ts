// What the engine writes for a sticky service, and when Consul already holds it
// (src/rollout/traffic.ts). Pure: bodies in Consul's own field names, as src/mesh/render/sticky.ts
// builds them.
import { expect } from "chai";
import { trafficEntries } from "../../src/mesh/render/sticky";
import { sameEntry, stickyEntriesAsWanted, stickyEntryNames, stickyWriteSequence } from "../../src/rollout/traffic";

type Body = { Name: string; Splits: { Weight: number; ServiceSubset?: string; ResponseHeaders?: unknown }[] };
/** One line per body: its name, each split's weight and subset, and whether it hands out the cookie. */
const lines = (bodies: readonly Record<string, unknown>[]) =>
    (bodies as unknown as Body[]).map((b) => `${b.Name}: ${b.Splits.map((s) => `${s.Weight}${s.ServiceSubset ? `/${s.ServiceSubset}` : ""}${s.ResponseHeaders ? "+cookie" : ""}`).join(" ")}`);

describe("the engine's sticky-canary writes (pure)", () => {
    it("names a sticky service's three splitters in write order", () => {
        expect(stickyEntryNames("orders")).to.deep.equal(["orders-sticky-blue", "orders-sticky-green", "orders"]);
    });

    it("compares whole bodies: weights, subsets and the cookie count; Consul's indexes, Meta and empty fields do not", () => {
        const [, , running] = trafficEntries("orders", { blue: 90, green: 10 }, true, true);
        const [, , atRest] = trafficEntries("orders", { blue: 90, green: 10 }, true, false);
        const answered = { ...running, CreateIndex: 12, ModifyIndex: 40, Meta: { by: "pulumi" }, Splits: (running.Splits as object[]).map((s) => ({ ...s, Namespace: "", RequestHeaders: {} })) };
        expect(sameEntry(answered, running)).to.equal(true);
        expect(sameEntry(running, atRest), "same weights, no cookie").to.equal(false);
        expect(sameEntry(undefined, running)).to.equal(false);
        const [pinnedBlue] = trafficEntries("orders", { blue: 90, green: 10 }, true, true);
        const [followingBlue] = trafficEntries("orders", { blue: 90, green: 10 }, true, false);
        expect(sameEntry(pinnedBlue, followingBlue)).to.equal(false);
        const live = Object.fromEntries(trafficEntries("orders", { blue: 90, green: 10 }, true, true).map((b) => [String(b.Name), b]));
        expect(stickyEntriesAsWanted(live, "orders", { blue: 90, green: 10 }, true)).to.equal(true);
        expect(stickyEntriesAsWanted(live, "orders", { blue: 90, green: 10 }, false)).to.equal(false);
        expect(stickyEntriesAsWanted({ ...live, "orders-sticky-green": undefined }, "orders", { blue: 90, green: 10 }, true)).to.equal(false);
    });

    it("pins a colour that gains weight only after the splitter gives it weight; unpins one that loses it before", () => {
        expect(lines(stickyWriteSequence("orders", { blue: 100, green: 0 }, { blue: 90, green: 10 }, true))).to.deep.equal([
            "orders-sticky-blue: 100/blue 0/green",
            "orders-sticky-green: 100",
            "orders: 90/blue+cookie 10/green+cookie",
            "orders-sticky-green: 0/blue 100/green",
        ]);
        expect(lines(stickyWriteSequence("orders", { blue: 50, green: 50 }, { blue: 0, green: 100 }, true))).to.deep.equal([
            "orders-sticky-blue: 100",
            "orders-sticky-green: 0/blue 100/green",
            "orders: 0/blue+cookie 100/green+cookie",
        ]);
    });

    it("ending a rollout writes both virtual splitters at rest, then the splitter without the cookie: trafficEntries' order", () => {
        const ending = stickyWriteSequence("orders", { blue: 50, green: 50 }, { blue: 100, green: 0 }, false);
        expect(ending).to.deep.equal(trafficEntries("orders", { blue: 100, green: 0 }, true, false));
        expect(lines(ending)).to.deep.equal(["orders-sticky-blue: 100", "orders-sticky-green: 100", "orders: 100/blue 0/green"]);
    });
});
