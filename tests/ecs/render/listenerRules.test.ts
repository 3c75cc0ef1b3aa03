// The ALB rules that refuse the colour header from the internet, judged by what the ALB would do
// with requests (tests/support/albRules.ts models the documented evaluation order and matching).
import { expect } from "chai";
import { MAX_PREVIEW_CIDRS } from "../../../src/config";
import { COLOUR_HEADER_REFUSAL_PRIORITY, colourHeaderRules, ListenerRuleSpec } from "../../../src/ecs/render/listenerRules";
import { COLOUR_HEADER } from "../../../src/shared/meshNames";
import { AlbRequest, albAction } from "../../support/albRules";

const DEFAULT = [{ type: "forward", targetGroupArn: "tg" }];

function actionFor(rules: readonly ListenerRuleSpec[], request: AlbRequest) {
    const asAlb = rules.map((r) => ({ priority: r.priority, conditions: r.conditions, actions: [r.action.type === "forward" ? DEFAULT[0] : r.action] }));
    const action = albAction(DEFAULT, asAlb, request) as { type: string; fixedResponse?: { statusCode: string } };
    return action.type === "forward" ? "gateway" : action.fixedResponse?.statusCode;
}

describe("colour header listener rules", () => {
    it("refuses the header from anywhere when no preview CIDR is set, in any case and with any value, and lets the rest through", () => {
        const rules = colourHeaderRules([]);
        expect(rules.map((r) => [r.key, r.priority])).to.deep.equal([["colour-header-refused", COLOUR_HEADER_REFUSAL_PRIORITY]]);
        const from = "198.51.100.7";
        expect(actionFor(rules, { sourceIp: from, headers: [] })).to.equal("gateway");
        expect(actionFor(rules, { sourceIp: from, headers: [["accept", "*/*"]] })).to.equal("gateway");
        for (const headers of [
            [[COLOUR_HEADER, "green"]],
            [["X-Bluegreen-Color", "GREEN"]],
            [[COLOUR_HEADER, ""]],
            [["accept", "*/*"], [COLOUR_HEADER, "blue"], [COLOUR_HEADER, "green"]],
        ] as const) {
            expect(actionFor(rules, { sourceIp: from, headers }), JSON.stringify(headers)).to.equal("403");
        }
    });

    it("lets the header through from the preview CIDRs only, three CIDRs to a rule, ahead of the refusal", () => {
        const cidrs = ["203.0.113.0/24", "192.0.2.10/32", "198.18.0.0/15", "100.64.0.0/10"];
        const rules = colourHeaderRules(cidrs);
        expect(rules.map((r) => [r.key, r.priority])).to.deep.equal([
            ["colour-preview-1", 1],
            ["colour-preview-2", 2],
            ["colour-header-refused", COLOUR_HEADER_REFUSAL_PRIORITY],
        ]);
        expect(rules[0].conditions[1]).to.deep.equal({ sourceIp: { values: cidrs.slice(0, 3) } });
        // ALB limits: 3 values per condition, 5 per rule.
        for (const rule of rules) {
            const values = rule.conditions.map((c) => (c.httpHeader?.values ?? c.sourceIp?.values ?? []).length);
            expect(Math.max(...values)).to.be.at.most(3);
            expect(values.reduce((a, b) => a + b, 0)).to.be.at.most(5);
        }
        const green: AlbRequest["headers"] = [[COLOUR_HEADER, "green"]];
        expect(actionFor(rules, { sourceIp: "203.0.113.99", headers: green })).to.equal("gateway");
        expect(actionFor(rules, { sourceIp: "100.127.255.1", headers: green })).to.equal("gateway");
        expect(actionFor(rules, { sourceIp: "192.0.2.11", headers: green })).to.equal("403");
        expect(actionFor(rules, { sourceIp: "192.0.2.11", headers: [] })).to.equal("gateway");
    });

    it("keeps within the listener's rule limit at the most CIDRs config allows, and refuses more", () => {
        const cidrs = Array.from({ length: MAX_PREVIEW_CIDRS }, (_, i) => `10.${i}.0.0/16`);
        const rules = colourHeaderRules(cidrs);
        expect(rules).to.have.length(11);
        expect(Math.max(...rules.filter((r) => r.action.type === "forward").map((r) => r.priority))).to.be.below(COLOUR_HEADER_REFUSAL_PRIORITY);
        expect(() => colourHeaderRules([...cidrs, "10.200.0.0/16"])).to.throw(/at most 30/);
    });
});
