// Reads Consul ACL policy rules (HCL or JSON) with HashiCorp's own HCL parser (compiled to
// WebAssembly in @cdktn/hcl2json) and answers what they grant. Only the parts the start-up needs:
// the top-level `acl`/`operator`/`mesh` levels, and `<resource>_prefix "<prefix>"` / `<resource> "<name>"`
// blocks with their `policy`.
import { parse } from "@cdktn/hcl2json";

export type AclLevel = "deny" | "read" | "write";
const RANK: Record<string, number> = { deny: 0, list: 1, read: 1, write: 2 };

export type AclRules = Record<string, unknown>;

export async function parseAclRules(text: string): Promise<AclRules> {
    const trimmed = text.trim();
    if (trimmed.startsWith("{")) {
        return JSON.parse(trimmed) as AclRules;
    }
    return (await parse("rules.hcl", text)) as AclRules;
}

/** Several policies' rules as one token holds them: blocks of the same kind and name add up. */
export function mergeAclRules(all: readonly AclRules[]): AclRules {
    const merged: Record<string, unknown> = {};
    for (const rules of all) {
        for (const [key, value] of Object.entries(rules)) {
            if (typeof value === "string") {
                merged[key] = strongest([merged[key] as AclLevel | undefined, value as AclLevel]);
                continue;
            }
            const blocks = (merged[key] ?? {}) as Record<string, unknown[]>;
            for (const [name, block] of Object.entries((value ?? {}) as Record<string, unknown>)) {
                blocks[name] = [...(blocks[name] ?? []), ...(Array.isArray(block) ? block : [block])];
            }
            merged[key] = blocks;
        }
    }
    return merged;
}

/** `deny` anywhere wins, as in Consul; otherwise the highest level granted. */
function strongest(levels: readonly (AclLevel | undefined)[]): AclLevel | undefined {
    const given = levels.filter((l): l is AclLevel => l !== undefined);
    if (given.includes("deny")) {
        return "deny";
    }
    return given.sort((a, b) => RANK[b] - RANK[a])[0];
}

/** The level granted for a top-level rule such as `acl = "write"`. */
export function topLevel(rules: AclRules, key: string): AclLevel | undefined {
    const value = rules[key];
    return typeof value === "string" ? (value as AclLevel) : undefined;
}

/** The level granted on every name of a resource kind (`node`, `service`, `agent`...): its `_prefix ""` rule. */
export function everyName(rules: AclRules, kind: string): AclLevel | undefined {
    const blocks = rules[`${kind}_prefix`] as Record<string, unknown> | undefined;
    return blockPolicy(blocks?.[""]);
}

function blockPolicy(block: unknown): AclLevel | undefined {
    const policies = (Array.isArray(block) ? block : [block]).map((b) => (b as { policy?: unknown } | undefined)?.policy);
    return strongest(policies.filter((p): p is AclLevel => typeof p === "string"));
}

export function grants(level: AclLevel | undefined, needed: AclLevel): boolean {
    return level !== undefined && level !== "deny" && RANK[level] >= RANK[needed];
}
