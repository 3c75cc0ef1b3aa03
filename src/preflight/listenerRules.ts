// What a public ALB listener does with one request: its rules in priority order, the first whose
// conditions all match decides, else the default action. Enough of ELB's matching for the probes
// the preflight sends: HTTP headers (names case-insensitive, values with * and ? wildcards), source
// IP CIDRs (the prober is an internet address outside every listed range unless a range is
// 0.0.0.0/0), paths and hosts (wildcards). Conditions of any other kind never match.
import { cidrContains } from "./securityGroups";
import { asArray, asStringArray, PlanIndex, PlanRecord, TYPES } from "./planIndex";

export interface ProbeRequest {
    readonly headers: Readonly<Record<string, string>>;
    readonly path: string;
    readonly host: string;
}

export interface ListenerDecision {
    /** `forward`, `fixed-response 403`, `redirect`, ... */
    readonly action: string;
    /** The rule that decided, or undefined for the listener's default action. */
    readonly rule?: PlanRecord;
}

export function decideRequest(index: PlanIndex, listener: PlanRecord, request: ProbeRequest): ListenerDecision {
    const rules = index
        .ofType(TYPES.listenerRule)
        .filter((r) => index.resolve(TYPES.listener, r.inputs.listenerArn) === listener)
        .sort((a, b) => Number(a.inputs.priority ?? Infinity) - Number(b.inputs.priority ?? Infinity));
    for (const rule of rules) {
        const conditions = asArray(rule.inputs.conditions).map((c) => (c ?? {}) as Record<string, unknown>);
        if (conditions.length > 0 && conditions.every((c) => conditionMatches(c, request))) {
            return { action: describeAction(rule.inputs.actions), rule };
        }
    }
    return { action: describeAction(listener.inputs.defaultActions) };
}

function describeAction(actions: unknown): string {
    const first = (asArray(actions)[0] ?? {}) as { type?: string; fixedResponse?: { statusCode?: string } };
    return first.type === "fixed-response" ? `fixed-response ${String(first.fixedResponse?.statusCode)}` : String(first.type ?? "none");
}

function conditionMatches(condition: Record<string, unknown>, request: ProbeRequest): boolean {
    const kinds = Object.keys(condition).filter((k) => condition[k] !== undefined);
    return kinds.every((kind) => {
        const body = (condition[kind] ?? {}) as { httpHeaderName?: string; values?: unknown };
        const values = asStringArray(body.values);
        switch (kind) {
            case "httpHeader": {
                const name = Object.keys(request.headers).find((h) => h.toLowerCase() === String(body.httpHeaderName).toLowerCase());
                return name !== undefined && values.some((v) => wildcard(v, request.headers[name], true));
            }
            case "sourceIp":
                return values.some((v) => cidrContains(v, "0.0.0.0/0"));
            case "pathPattern":
                return values.some((v) => wildcard(v, request.path, false));
            case "hostHeader":
                return values.some((v) => wildcard(v, request.host, true));
            default:
                return false;
        }
    });
}

function wildcard(pattern: string, value: string, caseInsensitive: boolean): boolean {
    const source = `^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`;
    return new RegExp(source, caseInsensitive ? "i" : "").test(value);
}
