// The public ALB's listener rules that keep the internet from choosing a colour. Consul's 2.0 line
// merges a backend's service-router into the API gateway's routes (hashicorp/consul PR #23294), so a
// request carrying the colour header would reach the colour that has not been promoted. The edge
// refuses the header itself, whatever the Consul version: only the operators' preview CIDRs may send
// it. Pure: CIDRs in, rule documents out (shaped like aws.lb.ListenerRule's args).
import { MAX_PREVIEW_CIDRS } from "../../config";
import { COLOUR_HEADER } from "../../shared/meshNames";

/**
 * ALB limits (Elastic Load Balancing listener rules): at most 3 values per condition and 5 per rule.
 * A preview rule spends 1 on the header, so it holds 3 source CIDRs; the 30 config allows take 10 rules.
 */
const CIDRS_PER_PREVIEW_RULE = 3;
/** Preview rules take priorities 1..10; the refusal sits after them, at a priority that never moves. */
export const COLOUR_HEADER_REFUSAL_PRIORITY = 100;
const COLOUR_HEADER_REFUSAL_BODY = `The ${COLOUR_HEADER} header is not accepted here.\n`;

// Value lists stay mutable arrays: they are handed to aws.lb.ListenerRule as they are.
interface ListenerRuleCondition {
    readonly httpHeader?: { readonly httpHeaderName: string; readonly values: string[] };
    readonly sourceIp?: { readonly values: string[] };
}

type ListenerRuleAction =
    | { readonly type: "forward" }
    | { readonly type: "fixed-response"; readonly fixedResponse: { readonly statusCode: string; readonly contentType: string; readonly messageBody: string } };

export interface ListenerRuleSpec {
    /** Suffix of the rule's resource name, stable for a given position. */
    readonly key: string;
    readonly priority: number;
    readonly conditions: ListenerRuleCondition[];
    /** `forward` goes to the listener's own target group (the gateway). */
    readonly action: ListenerRuleAction;
}

/** `*` matches any value, the empty one too; header names and values are compared case-insensitively. */
function carriesColourHeader(): ListenerRuleCondition {
    return { httpHeader: { httpHeaderName: COLOUR_HEADER, values: ["*"] } };
}

/**
 * The rules of every listener that forwards to the gateway: requests with the colour header from a
 * preview CIDR go on to the gateway; every other request with it gets 403. Requests without the
 * header match no rule and take the listener's default action.
 */
export function colourHeaderRules(previewCidrs: readonly string[]): ListenerRuleSpec[] {
    if (previewCidrs.length > MAX_PREVIEW_CIDRS) {
        throw new Error(`colourHeaderRules: ${previewCidrs.length} preview CIDRs; at most ${MAX_PREVIEW_CIDRS} fit in the listener rules`);
    }
    const rules: ListenerRuleSpec[] = [];
    for (let start = 0; start < previewCidrs.length; start += CIDRS_PER_PREVIEW_RULE) {
        const index = start / CIDRS_PER_PREVIEW_RULE + 1;
        rules.push({
            key: `colour-preview-${index}`,
            priority: index,
            conditions: [carriesColourHeader(), { sourceIp: { values: previewCidrs.slice(start, start + CIDRS_PER_PREVIEW_RULE) } }],
            action: { type: "forward" },
        });
    }
    rules.push({
        key: "colour-header-refused",
        priority: COLOUR_HEADER_REFUSAL_PRIORITY,
        conditions: [carriesColourHeader()],
        action: { type: "fixed-response", fixedResponse: { statusCode: "403", contentType: "text/plain", messageBody: COLOUR_HEADER_REFUSAL_BODY } },
    });
    return rules;
}
