// The flip command line: a command and its flags, checked before anything is read.
import * as path from "path";
import { parseArgs } from "util";
import { COLOURS, Colour } from "../../src/config";
import { UsageError } from "../../src/offline/errors";
import { durationMs } from "../../src/shared/durations";

export const USAGE = `usage: npm run flip -- <command> --stack <name> [options]

  set      --service <name> [--service <name> ...] --to <blue|green> [--dry-run] [--up]
           Edit the desired traffic in Pulumi.<stack>.yaml (only those weights, byte for byte); commit it and
           run \`pulumi up\` to start the rollout (--up runs it now, through Pulumi's Automation API).
  status   [--service <name> ...] [--rollout <id>] [--watch [--timeout <duration>]] [--json]
           Each service's health, live split from Consul and the rollout it belongs to; every running rollout's
           state, step and next check; exit code by the worst service. --service and --rollout narrow it.
           --watch follows every running rollout of the selection until all have ended (at most --timeout,
           default 24h); the deploy workflow's gate after \`pulumi up\`, which returns once the rollout started.
  pause | resume | promote [--full] | abort   [--service <name> | --rollout <id>] [--reason <text>]
           Control one running rollout from any machine that reaches Consul (the one the service belongs to,
           the one named, or the only one running); waits for the engine to apply it.
  history  [--service <name> ...] [--json]   past rollouts and rollbacks: who, when, from, to, result.
  rollback --service <name> [--service <name> ...] [--to <blue|green>] [--reason <text>] [--force]
           [--break-glass [--token-file <file>]]
           The emergency rollback: the engine moves the services to the split they had before their latest
           promoted rollout (or all to --to) in one write each, aborting their running rollouts; then the stack
           file is updated as set does (commit it). --force: even if the destination lacks passing instances.
           --break-glass: this client writes the splits itself with a token that may (docs/flip.md).

  --yes                  do not ask before changing a production stack (required without a terminal)
  --poll <duration>      how often status --watch and the wait for the engine read Consul (default 2s)
  --consul-address <a>   Consul's HTTPS API, host:port (default $CONSUL_HTTP_ADDR, then bluegreen:consul.apiAddress)
  --dir <folder>         where Pulumi.<stack>.yaml is (default: the project folder)

Consul credentials come from the environment: CONSUL_HTTP_TOKEN (or CONSUL_HTTP_TOKEN_FILE), CONSUL_CACERT (a PEM file),
CONSUL_TLS_SERVER_NAME (default server.<datacenter>.consul).
Exit codes: 0 done or healthy, 1 degraded (a drifted split, an uncommitted rollback), 2 invalid input, 3 internal
or Consul error, 4 not done yet (progressing or paused; a watch that reached --timeout), 5 rolled back by a gate,
6 aborted, 7 engine failed, 8 engine silent (a watch saw no state long past the next check), 128+n detached by
signal n (the rollouts go on in the engine). status: the worst service's outcome, in the order 8 7 5 6 1 4 0.`;

const COMMANDS = ["set", "status", "pause", "resume", "promote", "abort", "history", "rollback"] as const;
type FlipCommand = (typeof COMMANDS)[number];
export type ControlKind = "pause" | "resume" | "promote" | "promote-full" | "abort";

export interface FlipArgs {
    readonly command: FlipCommand;
    readonly stack: string;
    readonly services: readonly string[];
    /** --rollout: a rollout by id (status and the control commands). */
    readonly rollout?: string;
    readonly to?: Colour;
    readonly dryRun: boolean;
    readonly up: boolean;
    readonly yes: boolean;
    readonly watch: boolean;
    readonly timeoutMs?: number;
    readonly json: boolean;
    /** promote --full. */
    readonly full: boolean;
    readonly reason?: string;
    readonly pollMs: number;
    readonly dir: string;
    readonly consulAddress?: string;
    /** rollback: even when the destination lacks passing instances. */
    readonly force: boolean;
    /** rollback: run the engine's rollback in this client (the engine cannot act). */
    readonly breakGlass: boolean;
    /** rollback: the Consul token to use, read from this file. */
    readonly tokenFile?: string;
}

const DEFAULT_POLL = "2s";

/** The flags each command takes, besides --stack, --dir, --consul-address, --poll, --yes. */
const COMMAND_FLAGS: Record<FlipCommand, readonly string[]> = {
    set: ["service", "to", "dry-run", "up", "no-up"],
    status: ["service", "rollout", "watch", "timeout", "json"],
    pause: ["service", "rollout", "reason"],
    resume: ["service", "rollout", "reason"],
    promote: ["service", "rollout", "full", "reason"],
    abort: ["service", "rollout", "reason"],
    history: ["service", "json"],
    rollback: ["service", "to", "reason", "force", "break-glass", "token-file"],
};

export function parseFlipArgs(argv: readonly string[], projectDir: string): FlipArgs | "help" {
    const { values, positionals } = parseArgs({
        args: [...argv],
        options: {
            stack: { type: "string", short: "s" },
            service: { type: "string", multiple: true },
            rollout: { type: "string" },
            to: { type: "string" },
            "dry-run": { type: "boolean" },
            up: { type: "boolean" },
            "no-up": { type: "boolean" },
            status: { type: "boolean" },
            watch: { type: "boolean", short: "w" },
            timeout: { type: "string" },
            json: { type: "boolean" },
            full: { type: "boolean" },
            reason: { type: "string" },
            yes: { type: "boolean", short: "y" },
            poll: { type: "string" },
            "consul-address": { type: "string" },
            dir: { type: "string" },
            help: { type: "boolean", short: "h" },
            force: { type: "boolean" },
            "break-glass": { type: "boolean" },
            "token-file": { type: "string" },
        },
        allowPositionals: true,
        strict: true,
    });
    if (values.help) {
        return "help";
    }
    // One line: the usage is one `--help` away, not printed under every mistake.
    const fail = (message: string): never => {
        throw new UsageError(`${message} (npm run flip -- --help shows every command and flag)`);
    };
    if (positionals.length > 1) {
        fail(`one command at a time, not ${positionals.join(" ")}`);
    }
    // Before commands, `--status` and `--to <colour>` alone were the interface; they still work.
    const named = positionals[0] ?? (values.status ? "status" : values.to !== undefined ? "set" : undefined);
    if (named === undefined) {
        fail("a command is required");
    }
    if (!(COMMANDS as readonly string[]).includes(named as string)) {
        fail(`unknown command ${JSON.stringify(named)}; use one of ${COMMANDS.join(", ")}`);
    }
    const command = named as FlipCommand;
    if (values.status && command !== "status") {
        fail(`--status does not go with ${command}`);
    }
    const allowed = new Set([...COMMAND_FLAGS[command], "stack", "dir", "consul-address", "poll", "yes", "help", "status"]);
    for (const flag of Object.keys(values)) {
        if (!allowed.has(flag)) {
            fail(`--${flag} does not go with ${command}`);
        }
    }
    if (!values.stack) {
        fail("--stack is required");
    }
    if (values.to !== undefined && !(COLOURS as readonly string[]).includes(values.to)) {
        fail(`--to ${JSON.stringify(values.to)} is not a colour; use ${COLOURS.join(" or ")}`);
    }
    const to = values.to as Colour | undefined;
    if (command === "rollback") {
        if (!values.service || values.service.length === 0) {
            fail("rollback needs --service (repeat it to roll back several services at once)");
        }
        if (values["token-file"] !== undefined && !values["break-glass"]) {
            fail("--token-file goes with --break-glass: the engine's function uses its own token");
        }
    }
    if (command === "set") {
        if (!values.service || values.service.length === 0) {
            fail("set needs --service (repeat it to release several services together)");
        }
        if (!values.to) {
            fail("--to is required: the colour that should receive the traffic");
        }
        const modes = (["dry-run", "up", "no-up"] as const).filter((flag) => values[flag]);
        if (modes.length > 1) {
            fail(`--${modes.join(" and --")} cannot be combined`);
        }
    }
    if (values.rollout !== undefined && values.service !== undefined && command !== "status") {
        fail(`--service and --rollout do not go together with ${command}: a command goes to one rollout, named one way`);
    }
    if (values.timeout !== undefined && !values.watch) {
        fail("--timeout needs --watch: it is how long to watch");
    }
    return {
        command,
        stack: values.stack as string,
        services: [...new Set(values.service ?? [])],
        ...(values.rollout !== undefined ? { rollout: values.rollout } : {}),
        to,
        dryRun: values["dry-run"] ?? false,
        up: values.up ?? false,
        yes: values.yes ?? false,
        watch: values.watch ?? false,
        timeoutMs: values.timeout === undefined ? undefined : parseDuration(values.timeout, "--timeout", TIMEOUT_BOUNDS),
        json: values.json ?? false,
        full: values.full ?? false,
        reason: values.reason,
        pollMs: parseDuration(values.poll ?? DEFAULT_POLL, "--poll", POLL_BOUNDS),
        dir: path.resolve(values.dir ?? projectDir),
        consulAddress: values["consul-address"],
        force: values.force ?? false,
        breakGlass: values["break-glass"] ?? false,
        tokenFile: values["token-file"],
    };
}

/** The engine's command kind for a control command line. */
export function controlKind(args: FlipArgs): ControlKind {
    return args.command === "promote" && args.full ? "promote-full" : (args.command as ControlKind);
}

interface DurationBounds {
    readonly minMs: number;
    readonly maxMs: number;
    /** How the bounds read in a message. */
    readonly text: string;
}

/**
 * How often a client may read Consul: at least every 10 minutes (a watch that looks less often
 * shows nothing useful), at most 10 times a second (faster only loads Consul; the engine itself
 * moves once per check interval, seconds apart).
 */
const POLL_BOUNDS: DurationBounds = { minMs: 100, maxMs: 10 * 60_000, text: "between 100ms and 10m" };
/**
 * How long `status --watch` watches without --timeout: a watch always ends. A day is longer than a
 * rollout should take; a rollout paused for longer is not one anyone is waiting on.
 */
export const DEFAULT_WATCH_TIMEOUT_MS = 24 * 3_600_000;
/** A watch of up to a week; beyond that the number is a mistake (and past 24.8 days a timer would overflow). */
const TIMEOUT_BOUNDS: DurationBounds = { minMs: 1000, maxMs: 7 * 24 * 3_600_000, text: "between 1s and 168h" };

/** `5m`, `30s`, `1m30s`, `1h`, `250ms` to milliseconds, within `bounds`. */
function parseDuration(text: string, flag = "duration", bounds?: DurationBounds): number {
    const ms = durationMs(text);
    if (ms === undefined) {
        throw new UsageError(`${flag} ${JSON.stringify(text)} is not a duration; write it like 30s, 5m, 1m30s or 1h`);
    }
    if (!(ms > 0)) {
        throw new UsageError(`${flag} ${text} must be longer than 0`);
    }
    if (bounds && (ms < bounds.minMs || ms > bounds.maxMs)) {
        throw new UsageError(`${flag} ${text} is out of range: use a duration ${bounds.text}`);
    }
    return Math.round(ms);
}
