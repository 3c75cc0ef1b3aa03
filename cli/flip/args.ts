// The flip command line: flags, durations and canary steps, checked before anything is read.
import * as path from "path";
import { parseArgs } from "util";
import { COLOURS, Colour, weightProblem } from "../../src/config";
import { UsageError } from "../../src/offline/errors";

export const USAGE = `usage: npm run flip -- --stack <name> --service <name> --to <blue|green> [--steps 10,50,100 --interval 5m] [--dry-run | --no-up]
       npm run flip -- --stack <name> --status [--service <name>]

  --to <colour>          send all traffic to that colour (with --steps: in canary steps)
  --steps <list>         weights of the target colour, increasing, ending at 100 (for example 10,50,100)
  --interval <duration>  bake time between two steps, while the gates are polled (default 5m; 30s, 1m30s, 1h)
  --poll <duration>      time between two gate checks while baking (default 15s)
  --dry-run              print the config change and the offline plan's resource diff; write nothing
  --no-up                only edit Pulumi.<stack>.yaml (final weights, or the first step's) for a pull request
  --status               the traffic table, with passing instances per colour when Consul is reachable
  --consul-address <a>   Consul's HTTPS API, host:port (default $CONSUL_HTTP_ADDR, then bluegreen:consul.apiAddress)
  --dir <folder>         where Pulumi.<stack>.yaml is (default: the project folder)

Consul credentials come from the environment: CONSUL_HTTP_TOKEN (or CONSUL_HTTP_TOKEN_FILE), CONSUL_CACERT (a PEM file),
CONSUL_TLS_SERVER_NAME (default server.<datacenter>.consul).`;

export type FlipMode = "apply" | "dry-run" | "no-up" | "status";

export interface FlipArgs {
    readonly mode: FlipMode;
    readonly stack: string;
    readonly service?: string;
    readonly to?: Colour;
    /** Weights of the target colour, one per step; undefined for a single step to 100. */
    readonly steps?: readonly number[];
    readonly intervalMs: number;
    readonly pollMs: number;
    readonly dir: string;
    readonly consulAddress?: string;
}

export const DEFAULT_INTERVAL = "5m";
export const DEFAULT_POLL = "15s";

export function parseFlipArgs(argv: readonly string[], projectDir: string): FlipArgs | "help" {
    const { values } = parseArgs({
        args: [...argv],
        options: {
            stack: { type: "string", short: "s" },
            service: { type: "string" },
            to: { type: "string" },
            steps: { type: "string" },
            interval: { type: "string" },
            poll: { type: "string" },
            "dry-run": { type: "boolean", default: false },
            "no-up": { type: "boolean", default: false },
            status: { type: "boolean", default: false },
            "consul-address": { type: "string" },
            dir: { type: "string" },
            help: { type: "boolean", short: "h", default: false },
        },
        strict: true,
    });
    if (values.help) {
        return "help";
    }
    const fail = (message: string): never => {
        throw new UsageError(`${message}\n${USAGE}`);
    };
    if (!values.stack) {
        fail("--stack is required");
    }
    const exclusive = (["dry-run", "no-up", "status"] as const).filter((flag) => values[flag]);
    if (exclusive.length > 1) {
        fail(`--${exclusive.join(" and --")} cannot be combined`);
    }
    const mode: FlipMode = values.status ? "status" : values["dry-run"] ? "dry-run" : values["no-up"] ? "no-up" : "apply";
    let to: Colour | undefined;
    if (mode === "status") {
        for (const flag of ["to", "steps", "interval"] as const) {
            if (values[flag] !== undefined) {
                fail(`--${flag} does not go with --status`);
            }
        }
    } else {
        if (!values.service) {
            fail("--service is required");
        }
        if (!values.to) {
            fail("--to is required: the colour that should receive the traffic");
        }
        if (!(COLOURS as readonly string[]).includes(values.to as string)) {
            fail(`--to ${JSON.stringify(values.to)} is not a colour; use ${COLOURS.join(" or ")}`);
        }
        to = values.to as Colour;
    }
    if (values.interval !== undefined && values.steps === undefined) {
        fail("--interval needs --steps: it is the bake time between two steps");
    }
    const steps = values.steps === undefined ? undefined : parseSteps(values.steps);
    return {
        mode,
        stack: values.stack as string,
        service: values.service,
        to,
        steps,
        intervalMs: parseDuration(values.interval ?? DEFAULT_INTERVAL, "--interval"),
        pollMs: parseDuration(values.poll ?? DEFAULT_POLL, "--poll"),
        dir: path.resolve(values.dir ?? projectDir),
        consulAddress: values["consul-address"],
    };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `5m`, `30s`, `1m30s`, `1h`, `250ms` to milliseconds. */
export function parseDuration(text: string, flag = "duration"): number {
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
        throw new UsageError(`${flag} ${JSON.stringify(text)} is not a duration; write it like 30s, 5m, 1m30s or 1h`);
    }
    const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]], 0);
    if (ms <= 0) {
        throw new UsageError(`${flag} ${text} must be longer than 0`);
    }
    return Math.round(ms);
}

export function formatDuration(ms: number): string {
    const total = Math.max(0, Math.round(ms / 1000));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    return h > 0 ? `${h}h${String(m).padStart(2, "0")}m${String(s).padStart(2, "0")}s` : m > 0 ? `${m}m${String(s).padStart(2, "0")}s` : `${s}s`;
}

/** `10,50,100`: increasing weights above 0, at most 2 decimals, ending at 100. */
export function parseSteps(text: string): number[] {
    const steps = text.split(",").map((s) => s.trim());
    const weights = steps.map((s) => {
        const n = Number(s);
        if (s === "" || weightProblem(n) !== undefined || n <= 0) {
            throw new UsageError(`--steps ${JSON.stringify(text)}: ${JSON.stringify(s)} is not a weight above 0 and at most 100 with at most 2 decimals`);
        }
        return n;
    });
    for (let i = 1; i < weights.length; i++) {
        if (weights[i] <= weights[i - 1]) {
            throw new UsageError(`--steps ${JSON.stringify(text)}: steps must increase (${weights[i - 1]} then ${weights[i]})`);
        }
    }
    if (weights[weights.length - 1] !== 100) {
        throw new UsageError(`--steps ${JSON.stringify(text)} must end at 100: --to sends all traffic to the colour in the end`);
    }
    return weights;
}
