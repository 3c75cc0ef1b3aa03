// A test-only evaluator for the subset of CloudWatch Logs JSON filter patterns this program writes
// (no npm package does this): `{ ... }` around comparisons `$.field OP value` joined by `&&`, `||`
// and parentheses, && binding tighter than ||. Semantics from AWS's "Filter and Pattern Syntax"
// (CloudWatch Logs User Guide, "Matching Terms in JSON Log Events"):
// - the event must be JSON, else the pattern does not match;
// - a selector must point at a value (string or number); a missing field, an object or an array
//   never matches;
// - `=` / `!=` with a quoted string compare strings exactly (`*` would be a wildcard; unused here, so
//   this evaluator rejects it rather than guess);
// - `<`, `>`, `<=`, `>=`, `=`, `!=` with a number compare numbers; a null or a string never matches a
//   numeric comparison.
// Anything outside that subset throws, so a pattern this evaluator cannot read fails the test.

type Value = string | number | boolean | null | object | undefined;

interface Comparison {
    kind: "cmp";
    path: string[];
    op: "=" | "!=" | "<" | ">" | "<=" | ">=";
    value: string | number;
}
type Node = Comparison | { kind: "and" | "or"; left: Node; right: Node };

const TOKEN = /\s*(\(|\)|&&|\|\||<=|>=|!=|=|<|>|"(?:[^"\\]|\\.)*"|\$(?:\.[A-Za-z0-9_-]+)+|[+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?)/y;

function tokenize(text: string): string[] {
    const tokens: string[] = [];
    TOKEN.lastIndex = 0;
    let at = 0;
    while (at < text.length) {
        if (/^\s*$/.test(text.slice(at))) {
            break;
        }
        TOKEN.lastIndex = at;
        const m = TOKEN.exec(text);
        if (!m) {
            throw new Error(`unsupported filter pattern syntax at ${JSON.stringify(text.slice(at))}`);
        }
        tokens.push(m[1]);
        at = TOKEN.lastIndex;
    }
    return tokens;
}

export function parseJsonFilterPattern(pattern: string): Node {
    const trimmed = pattern.trim();
    if (!trimmed.startsWith("{") || !trimmed.endsWith("}")) {
        throw new Error(`not a JSON filter pattern (no braces): ${pattern}`);
    }
    const tokens = tokenize(trimmed.slice(1, -1));
    let i = 0;
    const peek = () => tokens[i];
    const next = () => tokens[i++];
    const orExpr = (): Node => {
        let left = andExpr();
        while (peek() === "||") {
            next();
            left = { kind: "or", left, right: andExpr() };
        }
        return left;
    };
    const andExpr = (): Node => {
        let left = primary();
        while (peek() === "&&") {
            next();
            left = { kind: "and", left, right: primary() };
        }
        return left;
    };
    const primary = (): Node => {
        const token = next();
        if (token === "(") {
            const inner = orExpr();
            if (next() !== ")") {
                throw new Error(`unbalanced parentheses in ${pattern}`);
            }
            return inner;
        }
        if (!token?.startsWith("$.")) {
            throw new Error(`expected a $.selector, found ${token} in ${pattern}`);
        }
        const op = next() as Comparison["op"];
        if (!["=", "!=", "<", ">", "<=", ">="].includes(op)) {
            throw new Error(`unsupported operator ${op} in ${pattern}`);
        }
        const raw = next();
        let value: string | number;
        if (raw?.startsWith('"')) {
            value = JSON.parse(raw) as string;
            if (value.includes("*") || !["=", "!="].includes(op)) {
                throw new Error(`unsupported string comparison ${op} ${raw} in ${pattern}`);
            }
        } else if (raw !== undefined && /^[+-]?\d/.test(raw)) {
            value = Number(raw);
        } else {
            throw new Error(`unsupported value ${raw} in ${pattern}`);
        }
        return { kind: "cmp", path: token.slice(2).split("."), op, value };
    };
    const tree = orExpr();
    if (i !== tokens.length) {
        throw new Error(`trailing tokens ${tokens.slice(i).join(" ")} in ${pattern}`);
    }
    return tree;
}

/** The value a selector points at, or undefined when it points at nothing or at an object/array. */
export function selectJsonValue(event: Value, path: readonly string[]): string | number | boolean | null | undefined {
    let current: Value = event;
    for (const key of path) {
        if (current === null || typeof current !== "object" || Array.isArray(current) || !(key in current)) {
            return undefined;
        }
        current = (current as Record<string, Value>)[key];
    }
    return current === null || typeof current !== "object" ? (current as string | number | boolean | null) : undefined;
}

function holds(node: Node, event: Value): boolean {
    if (node.kind !== "cmp") {
        return node.kind === "and" ? holds(node.left, event) && holds(node.right, event) : holds(node.left, event) || holds(node.right, event);
    }
    const actual = selectJsonValue(event, node.path);
    if (typeof node.value === "string") {
        return typeof actual === "string" && (node.op === "=" ? actual === node.value : actual !== node.value);
    }
    if (typeof actual !== "number") {
        return false;
    }
    const v = node.value;
    switch (node.op) {
        case "=":
            return actual === v;
        case "!=":
            return actual !== v;
        case "<":
            return actual < v;
        case ">":
            return actual > v;
        case "<=":
            return actual <= v;
        case ">=":
            return actual >= v;
        default:
            throw new Error(`unsupported operator ${String(node.op)}`);
    }
}

/** Whether a log event (one line, as CloudWatch Logs receives it) matches a JSON filter pattern. */
const parsed = new Map<string, Node>();

export function matchesFilterPattern(pattern: string, line: string): boolean {
    const tree = parsed.get(pattern) ?? parseJsonFilterPattern(pattern);
    parsed.set(pattern, tree);
    let event: Value;
    try {
        event = JSON.parse(line) as Value;
    } catch {
        return false;
    }
    return typeof event === "object" && event !== null && !Array.isArray(event) && holds(tree, event);
}
