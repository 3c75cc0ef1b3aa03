// Finds the Consul agent configuration a resource carries: JSON documents inside EC2 user data
// (base64, possibly gzipped, possibly holding further base64 blobs written to files at boot) or
// inside a container's command. Consul merges every config file it reads; so do we.
import { gunzipSync } from "zlib";

export type AgentConfig = Record<string, unknown>;

/** Keys only a Consul agent configuration has at its top level. */
const AGENT_KEYS = ["server", "bootstrap_expect", "retry_join", "acl", "tls", "ports", "datacenter", "data_dir", "connect", "encrypt", "autopilot"];

const BASE64_TOKEN = /[A-Za-z0-9+/]{40,}={0,2}/g;

function decodeBase64(text: string): string | undefined {
    const compact = text.trim();
    if (compact.length < 8 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
        return undefined;
    }
    let bytes = Buffer.from(compact, "base64");
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
        try {
            bytes = gunzipSync(bytes);
        } catch {
            return undefined;
        }
    }
    const decoded = bytes.toString("utf8");
    // Accept only text: a random key or a certificate's DER is not a document to search.
    let printable = 0;
    for (const char of decoded) {
        const code = char.charCodeAt(0);
        printable += code === 9 || code === 10 || code === 13 || (code >= 32 && code < 127) ? 1 : 0;
    }
    return printable / Math.max(decoded.length, 1) > 0.95 ? decoded : undefined;
}

/** Every top-level JSON object in a text (a shell script with a heredoc, an echo, a command line). */
function jsonObjectsIn(text: string): Record<string, unknown>[] {
    const found: Record<string, unknown>[] = [];
    let i = text.indexOf("{");
    while (i !== -1) {
        const end = matchingBrace(text, i);
        if (end !== -1) {
            try {
                const value: unknown = JSON.parse(text.slice(i, end + 1));
                if (value !== null && typeof value === "object" && !Array.isArray(value)) {
                    found.push(value as Record<string, unknown>);
                    i = text.indexOf("{", end + 1);
                    continue;
                }
            } catch {
                // not JSON: try the next brace
            }
        }
        i = text.indexOf("{", i + 1);
    }
    return found;
}

function matchingBrace(text: string, start: number): number {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
        const c = text[i];
        if (inString) {
            if (c === "\\") {
                i++;
            } else if (c === '"') {
                inString = false;
            }
        } else if (c === '"') {
            inString = true;
        } else if (c === "{") {
            depth++;
        } else if (c === "}") {
            depth--;
            if (depth === 0) {
                return i;
            }
        }
    }
    return -1;
}

/** The texts a value holds: itself, its base64 decoding, and decoded base64 blobs inside it. */
function textsIn(value: string, depth = 0): string[] {
    const texts = [value];
    if (value.includes('\\"')) {
        texts.push(value.replace(/\\"/g, '"'));
    }
    if (depth >= 2) {
        return texts;
    }
    const whole = decodeBase64(value);
    if (whole !== undefined) {
        texts.push(...textsIn(whole, depth + 1));
    }
    for (const token of value.match(BASE64_TOKEN) ?? []) {
        const decoded = token !== value.trim() ? decodeBase64(token) : undefined;
        if (decoded !== undefined) {
            texts.push(...textsIn(decoded, depth + 1));
        }
    }
    return texts;
}

function isAgentConfig(doc: Record<string, unknown>): boolean {
    return AGENT_KEYS.filter((k) => k in doc).length >= 2;
}

function deepMerge(into: AgentConfig, from: AgentConfig): AgentConfig {
    const out: AgentConfig = { ...into };
    for (const [key, value] of Object.entries(from)) {
        const existing = out[key];
        const bothObjects = [existing, value].every((v) => v !== null && typeof v === "object" && !Array.isArray(v));
        out[key] = bothObjects ? deepMerge(existing as AgentConfig, value as AgentConfig) : value;
    }
    return out;
}

/** The agent configuration documents found in these strings, merged as Consul would; undefined if none. */
export function agentConfigIn(values: readonly string[]): AgentConfig | undefined {
    const docs = values.flatMap((v) => textsIn(v)).flatMap(jsonObjectsIn).filter(isAgentConfig);
    const seen = new Set<string>();
    const unique = docs.filter((d) => {
        const key = JSON.stringify(d);
        return seen.has(key) ? false : (seen.add(key), true);
    });
    return unique.length > 0 ? unique.reduce(deepMerge, {}) : undefined;
}

/** A launch template's user data, decoded to the script or cloud-init document the instance runs. */
export function decodedUserData(userData: unknown): string[] {
    return typeof userData === "string" ? textsIn(userData) : [];
}
