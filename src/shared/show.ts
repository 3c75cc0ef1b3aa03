// How a config value is quoted back in a problem: as JSON, except the numbers JSON cannot write,
// which YAML can (`.nan`, `.inf`, `-.inf`): JSON.stringify would print them as `null`.

export function show(value: unknown): string {
    if (typeof value === "number" && !Number.isFinite(value)) {
        return Number.isNaN(value) ? ".nan" : value > 0 ? ".inf" : "-.inf";
    }
    if (value === undefined) {
        return "nothing";
    }
    if (typeof value === "object" && value !== null) {
        return JSON.stringify(value, (_key, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? show(v) : v));
    }
    return JSON.stringify(value);
}
