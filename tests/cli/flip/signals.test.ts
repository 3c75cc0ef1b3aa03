// Signals to the flip client, with real processes: `node` on the entry point and the documented
// `npm run flip`, each sent INT, TERM or HUP while it waits (status --watch, or a pause waiting for
// the engine). The client must detach: print what the rollout is doing and how to follow it, exit
// 128+n, hold no lock, and leave the rollout exactly as it was (no command written by status; the
// pause, once written, stays for the engine). Consul is the loopback fake in this test process,
// with a rollout that is baking; no engine ticks, so nothing else changes the state.
import { expect } from "chai";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ControlCommand } from "../../../src/rollout/contract";
import { readKv } from "../../support/fakeConsulKv";
import { FlipWorld } from "../../support/flipClient";
import { ROOT, TYPESCRIPT } from "../../support/harness";

interface Run {
    readonly name: string;
    readonly child: ChildProcess;
    output: string;
    /** Resolves when the output includes `text`. */
    seen(text: string): Promise<void>;
    /** Exit code (null when killed), once every holder of its stdout closed it. */
    readonly closed: Promise<number | null>;
}

function start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): Run {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    const waiters: { text: string; resolve: () => void }[] = [];
    const run: Run = {
        name,
        child,
        output: "",
        seen: (text) => new Promise<void>((resolve) => (run.output.includes(text) ? resolve() : waiters.push({ text, resolve }))),
        closed: new Promise((resolve) => child.on("close", (code) => resolve(code))),
    };
    const onData = (chunk: Buffer) => {
        run.output += chunk.toString();
        waiters.filter((w) => run.output.includes(w.text)).forEach((w) => w.resolve());
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    return run;
}

describe("flip client and signals (real processes)", function () {
    // Five processes start ts-node at once on a small machine; nothing here waits on a timer.
    this.timeout(180_000);
    const world = new FlipWorld();
    before(async () => {
        await world.setUp();
        // On the real clock: the clients watch a rollout whose next check is due now, not one whose
        // engine has been silent for days (which a watch reports, exit 8, instead of watching).
        world.engine.now = Date.now();
        await world.startRollout();
    });
    after(() => world.tearDown());

    it("detaches on INT, TERM and HUP, through npm run or not, and leaves the rollout as it was", async () => {
        const env = { ...process.env, CONSUL_HTTP_ADDR: `http://${world.consul.address}`, CONSUL_HTTP_TOKEN: "management-token" };
        const flipArgs = (...command: string[]) => [...command, "--stack", "prod", "--dir", world.dir, "--poll", "100ms"];
        const node = (...command: string[]) => [...TYPESCRIPT, path.join("cli", "flip", "main.ts"), ...flipArgs(...command)];
        const npm = (...command: string[]) => ["run", "--silent", "flip", "--", ...flipArgs(...command)];
        const stateBefore = JSON.stringify(world.engine.state());
        const cases: { run: Run; signal: NodeJS.Signals; expectCode: number | "any" }[] = [
            { run: start("node INT", process.execPath, node("status", "--watch"), env), signal: "SIGINT", expectCode: 130 },
            { run: start("node HUP", process.execPath, node("status", "--watch"), env), signal: "SIGHUP", expectCode: 129 },
            { run: start("npm TERM", "npm", npm("status", "--watch"), env), signal: "SIGTERM", expectCode: 143 },
            // npm does not forward HUP: npm dies of it, and the client sees itself re-parented.
            { run: start("npm HUP", "npm", npm("status", "--watch"), env), signal: "SIGHUP", expectCode: "any" },
        ];
        const pause = start("node pause TERM", process.execPath, node("pause", "--yes"), env);
        await Promise.all(
            cases.map(async ({ run, signal }) => {
                await run.seen("Recent events:");
                run.child.kill(signal);
            }),
        );
        for (const { run, signal, expectCode } of cases) {
            const code = await run.closed;
            expect(run.output, run.name).to.include(`detached on ${signal}: stopped watching; the rollout goes on in the engine, unchanged by the signal:`);
            expect(run.output, run.name).to.include("Follow it with: npm run flip -- status --stack prod --watch");
            expect(run.output, run.name).to.not.match(/\n\s+at /);
            if (expectCode !== "any") {
                expect(code, `${run.name}\n${run.output}`).to.equal(expectCode);
            }
        }
        expect(JSON.stringify(world.engine.state())).to.equal(stateBefore);

        // A pause that was written stays written: the engine applies it whether or not anyone waits.
        await pause.seen("waiting for the engine to apply it");
        pause.child.kill("SIGTERM");
        expect(await pause.closed, pause.output).to.equal(143);
        expect(pause.output).to.include("detached on SIGTERM: the pause was written to Consul");
        expect(readKv<ControlCommand>(world.consul, world.commandKey())).to.include({ kind: "pause", rolloutId: world.state().rolloutId });
        // The only write of all five clients is the pause's command.
        expect(world.consul.state.requests.filter((r) => r.startsWith("PUT") || r.startsWith("DELETE"))).to.deep.equal([`PUT /v1/kv/${world.commandKey()}?cas=0`]);
        expect(fs.readdirSync(world.dir).sort()).to.deep.equal(["Pulumi.dev.yaml", "Pulumi.prod.yaml"]);
    });
});
