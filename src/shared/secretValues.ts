// What makes a value a secret, whatever its variable is called: secretlint's recommended rules
// (AWS, GCP, GitHub, npm, Slack, SendGrid, Shopify, OpenAI, Anthropic, Linear, 1Password keys and
// tokens, private keys, basic auth and database URLs with a password), plus a JSON Web Token, which
// the preset has no rule for. The config check (over `env`) and the policy pack (over a plan's task
// definitions) both ask here.
//
// secretlint's own runner (@secretlint/core's lintSource) is asynchronous; its scanner rules are not,
// and config validation is one synchronous pass, so each rule runs here with a context of its own.
import type { SecretLintRuleContext, SecretLintRuleLocalizeMessages, SecretLintSourceCode } from "@secretlint/types";
import { rules } from "@secretlint/secretlint-rule-preset-recommend";

/** Scanners only: the preset's filter rule reads `secretlint-disable` comments, which env values have not. */
const SCANNERS = rules.filter((rule) => rule.meta.type === "scanner");

/** Why `value` is a secret ("a GitHub Token", ...), or undefined. Never echoes the value. */
export function secretValueReason(value: unknown): string | undefined {
    if (typeof value !== "string" || value.length < 8) {
        return undefined;
    }
    const found = scan(value);
    if (found) {
        return `its value is a secret (secretlint ${found})`;
    }
    if (isJsonWebToken(value)) {
        return "its value is a secret (a JSON Web Token)";
    }
    return undefined;
}

function scan(content: string): string | undefined {
    const source = sourceOf(content);
    for (const rule of SCANNERS) {
        let reported: string | undefined;
        const context: SecretLintRuleContext = {
            sharedOptions: {},
            createTranslator: <T extends SecretLintRuleLocalizeMessages>(messages: T) =>
                ((messageId: keyof T, props?: object) => ({ message: messages[messageId].en(props), messageId: String(messageId), data: props })) as never,
            report: (descriptor) => {
                // The rule's id names the kind of secret; its message would quote the value.
                reported ??= `${rule.meta.id.replace(/^@secretlint\/secretlint-rule-/, "")}: ${descriptor.message.messageId}`;
            },
            ignore: () => undefined,
        };
        void rule.create(context, {}).file?.(source);
        if (reported) {
            return reported;
        }
    }
    return undefined;
}

function sourceOf(content: string): SecretLintSourceCode {
    const lineStarts = [0, ...[...content.matchAll(/\n/g)].map((m) => (m.index ?? 0) + 1)];
    const indexToPosition = (index: number) => {
        let line = lineStarts.length - 1;
        while (line > 0 && lineStarts[line] > index) {
            line--;
        }
        return { line: line + 1, column: index - lineStarts[line] };
    };
    const positionToIndex = (pos: { line: number; column: number }) => (lineStarts[pos.line - 1] ?? content.length) + pos.column;
    return {
        hasBOM: false,
        content,
        filePath: undefined,
        physicalFilePath: undefined,
        contentType: "text",
        ext: "",
        getFilePath: () => undefined,
        getPhysicalFilePath: () => undefined,
        indexToPosition,
        positionToIndex,
        rangeToLocation: (range) => ({ start: indexToPosition(range[0]), end: indexToPosition(range[1]) }),
        locationToRange: (loc) => [positionToIndex(loc.start), positionToIndex(loc.end)],
    };
}

/**
 * A JWT (RFC 7519), bare or after "Bearer ": three base64url parts, the first a JSON header with an
 * "alg" (RFC 7515 section 4.1.1). Read from its structure, not guessed from a prefix.
 */
function isJsonWebToken(value: string): boolean {
    const token = value.replace(/^Bearer\s+/i, "").trim();
    const parts = token.split(".");
    if (parts.length !== 3 || parts.some((p, i) => !/^[A-Za-z0-9_-]*$/.test(p) || (i < 2 && p === ""))) {
        return false;
    }
    try {
        const header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8")) as unknown;
        return typeof header === "object" && header !== null && typeof (header as { alg?: unknown }).alg === "string";
    } catch {
        return false;
    }
}
