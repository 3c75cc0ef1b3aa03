// `npm run bench:rollback`: how soon `flip rollback` gets the splitter written, on the REAL clock.
// The client (cli/flip/main.ts, in this process) reads the loopback Consul (tests/support/fakeConsul.ts,
// NOT Consul) and invokes the engine through the AWS SDK's Lambda client against a loopback Invoke
// endpoint (tests/support/fakeLambda.ts, NOT Lambda) that runs the engine's own handler, which
// reaches the same loopback Consul over HTTP as the function reaches Consul. Meanwhile a release of
// inventory is baking: the rollbacks of orders go past it.
//
// For each run (orders to green, then to blue, and so on) it takes three times, from
// performance.now(): the command starting (flip() called), the Invoke request reaching the endpoint,
// and the engine's splitter write acknowledged by Consul; and when the command returned (after it
// confirmed the result from Consul and wrote the stack file). The first run also loads the rollback
// code and the AWS SDK, as every new `npm run flip` process does; `--processes N` adds N runs as a
// real process (node with cli/register.js, as `npm run flip` starts it), timed from its spawn. It says
// nothing about AWS's latency, a Lambda cold start or a network between the operator and AWS.
//
//   npm run bench:rollback [-- --runs 50 --processes 3] [--show]   (--show: print the last run's output)
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { parseArgs } from "util";
import { flip } from "../../cli/flip/main";
import { rolloutConsulApi } from "../../src/rollout/consulApi";
import { EngineDeps, EngineEvent, handleEvent } from "../../src/rollout/handler";
import { rolloutStateKey, Weights } from "../../src/rollout/contract";
import { startFakeLambda } from "../support/fakeLambda";
import { prodRelease, startConsulAtRest } from "../support/flipClient";
import { ROOT } from "../support/harness";

interface Row {
    readonly toWriteMs: number;
    readonly invokeToWriteMs: number;
    readonly commandMs: number;
}

const ms = (n: number) => `${n.toFixed(1)} ms`;
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const max = (xs: readonly number[]) => Math.max(...xs);

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { runs: { type: "string", default: "50" }, processes: { type: "string", default: "3" }, show: { type: "boolean", default: false } } });
    const runs = Number(values.runs);
    const processes = Number(values.processes);
    const consul = await startConsulAtRest();
    const api = rolloutConsulApi({ address: consul.address, scheme: "http", token: "management-token" });
    let writtenAt: number | undefined;
    const deps: EngineDeps = {
        consul: {
            ...api,
            putSplit: async (service: string, weights: Weights, cas?: number) => {
                const ok = await api.putSplit(service, weights, cas);
                if (ok && service === "orders") {
                    writtenAt ??= performance.now();
                }
                return ok;
            },
        },
        alarms: async (names) => Object.fromEntries(names.map((n) => [n, "OK" as const])),
        now: () => new Date(),
    };
    const lambda = await startFakeLambda({ functions: { "prod-rollout-tick": (event) => handleEvent(event as EngineEvent, deps) } });
    // A release of inventory, started and at its first step, baking for an hour.
    const inventory = prodRelease({ steps: [10, 50], bakeSeconds: 3600, checkIntervalSeconds: 30 }, ["inventory"]);
    const started = await handleEvent({ kind: "tick", rolloutId: "prod-inventory-bench-1", specHash: "bench", spec: inventory, requestedBy: "ana@laptop", startAfter: { inventory: "" } }, deps);
    if (started.done) {
        throw new Error(`the inventory release did not start: ${started.reason}`);
    }

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-bench-rollback-"));
    const stackFile = fs
        .readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")
        .replace("  aws:region: eu-west-1\n", `  aws:region: eu-west-1\n  aws:accessKey: AKIABENCH0000000000\n  aws:secretKey: bench\n  aws:endpoints:\n    - lambda: ${lambda.endpoint}\n`);
    fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), stackFile);
    const argv = (colour: string) => ["rollback", "--stack", "prod", "--service", "orders", "--to", colour, "--reason", "bench", "--yes", "--dir", dir, "--consul-address", `http://${consul.address}`];

    const rows: Row[] = [];
    const processRows: number[] = [];
    let inventoryPhase = "unread";
    let lastOutput = "";
    try {
        for (let run = 0; run < runs + processes; run++) {
            const colour = run % 2 === 0 ? "green" : "blue";
            writtenAt = undefined;
            const invocations = lambda.invocations.length;
            const output: string[] = [];
            const start = performance.now();
            let code: number;
            if (run < runs) {
                code = await flip(argv(colour), { out: { write: (t: string) => output.push(t) }, env: { CONSUL_HTTP_TOKEN: "management-token" }, user: "bench@loopback" });
            } else {
                code = await flipProcess(argv(colour), output);
            }
            const end = performance.now();
            if (code !== 0 || writtenAt === undefined || lambda.invocations.length !== invocations + 1) {
                throw new Error(`run ${run + 1} (orders to ${colour}): exit ${code}, ${lambda.invocations.length - invocations} invocations, splitter ${writtenAt === undefined ? "not " : ""}written:\n${output.join("")}`);
            }
            lastOutput = output.join("");
            if (run < runs) {
                rows.push({ toWriteMs: writtenAt - start, invokeToWriteMs: writtenAt - lambda.invocations[invocations].receivedAt, commandMs: end - start });
            } else {
                processRows.push(writtenAt - start);
            }
        }
        inventoryPhase = (await api.getJson<{ phase: string }>(rolloutStateKey("prod-inventory-bench-1")))?.value.phase ?? "gone";
    } finally {
        await lambda.close();
        await consul.close();
        fs.rmSync(dir, { recursive: true, force: true });
    }
    const col = (pick: (r: Row) => number, from = 0) => rows.slice(from).map(pick);
    process.stdout.write(
        [
            `flip rollback of orders, ${rows.length} runs in one process (loopback Consul and Lambda endpoint; the engine's real handler):`,
            `  command start -> splitter write:  median ${ms(median(col((r) => r.toWriteMs)))}, max ${ms(max(col((r) => r.toWriteMs)))}` +
                ` (run 1, loading the rollback code and the AWS SDK: ${ms(rows[0].toWriteMs)}; runs 2-${rows.length}: max ${ms(max(col((r) => r.toWriteMs, 1)))})`,
            `  Invoke reaching the endpoint -> splitter write:  median ${ms(median(col((r) => r.invokeToWriteMs)))}, max ${ms(max(col((r) => r.invokeToWriteMs)))}`,
            `  command start -> command returned (result confirmed from Consul, stack file written):  median ${ms(median(col((r) => r.commandMs)))}, max ${ms(max(col((r) => r.commandMs)))}`,
            ...(processRows.length > 0
                ? [`  as a new process (node -r ./cli/register.js, as npm run flip), spawn -> splitter write, ${processRows.length} runs:  median ${ms(median(processRows))}, max ${ms(max(processRows))}`]
                : []),
            `  inventory's release meanwhile: ${inventoryPhase}`,
            ...(values.show ? ["", "The last run's output:", lastOutput] : []),
            "",
        ].join("\n"),
    );
}

/** The command as `npm run flip` runs it (node with cli/register.js), answered by this process's loopback servers. */
function flipProcess(argv: readonly string[], output: string[]): Promise<number> {
    const child = spawn(process.execPath, ["-r", path.join(ROOT, "cli", "register.js"), path.join("cli", "flip", "main.ts"), ...argv], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, CONSUL_HTTP_TOKEN: "management-token" },
    });
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    return new Promise((resolve) => child.on("close", (code) => resolve(code ?? 1)));
}

main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
});
