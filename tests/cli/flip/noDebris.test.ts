// No failed write leaves a lock or a temporary file, and what a killed edit left is cleaned by the
// next one: the stack file lock and the atomic edit run on the real filesystem of a temporary
// folder, with faults injected on chosen system calls (tests/support/faultyFs.ts: an errno error
// instead of the call, or a "kill" after which nothing of that edit runs, its cleanup included).
// Then a randomized test (fast-check, seeded) of sequences of edits, faults, kills, time passing
// and locks planted by other hosts, and of the client's reading of random rollout documents
// (FLIP_FAULT_RUNS=2000 npx mocha tests/cli/flip/noDebris.test.ts for a longer run).
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { classify, UnreadableState } from "../../../cli/flip/clientErrors";
import { rolloutStateOf } from "../../../cli/flip/documents";
import { editStackFile, editTrafficText, trafficIn } from "../../../cli/flip/stackFile";
import { LockOptions, lockFilePath, STALE_AFTER_MS, StackLock, StackLockedError, UNREADABLE_AFTER_MS } from "../../../cli/flip/stackLock";
import { describeRollout, formatStatus, statusReport } from "../../../cli/flip/statusView";
import { RolloutState, rolloutStateKey } from "../../../src/rollout/contract";
import { FlipWorld } from "../../support/flipClient";
import { FaultPlan, faultyFs, Killed } from "../../support/faultyFs";
import { ROOT } from "../../support/harness";

const PROD = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8");
/** Sequences of the randomized edit test: FLIP_FAULT_RUNS=2000 for a longer run than the suite's. */
const RUNS = Number(process.env.FLIP_FAULT_RUNS ?? 60);
const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid as number;

/** Backdates (or, with a negative age, post-dates) a file's mtime. */
function age(file: string, ms: number): void {
    const at = new Date(Date.now() - ms);
    fs.utimesSync(file, at, at);
}

describe("no failed write leaves a lock or a temporary file (injected filesystem faults)", () => {
    let dir: string;
    let file: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-debris-"));
        file = path.join(dir, "Pulumi.prod.yaml");
        fs.writeFileSync(file, PROD);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const toGreen = (text: string) => editTrafficText(text, "orders", { blue: 0, green: 100 });
    const failing = (name: string, match: (target: string) => boolean, code = "ENOSPC"): FaultPlan => (call) => (call.name === name && match(call.target) ? { kind: "errno", code } : undefined);

    it("a full disk while the lock's owner is written: one line, no 0-byte lock, the file unchanged", async () => {
        const disk = faultyFs(failing("writeSync", (t) => t.endsWith(".lock")));
        const err = await editStackFile(file, "npm run flip -- set", toGreen, { fs: disk.fs, waitMs: 0 }).catch((e: unknown) => e);
        const { code, line } = classify(err);
        expect(line).to.equal(`error: cannot write the lock file ${file}.lock: ENOSPC (no space left on the device)`);
        expect(code).to.equal(2);
        expect(fs.readdirSync(dir)).to.deep.equal(["Pulumi.prod.yaml"]);
        expect(fs.readFileSync(file, "utf8")).to.equal(PROD);
        // And the next flip is not blocked.
        await editStackFile(file, "npm run flip -- set", toGreen, { waitMs: 0 });
        expect(trafficIn(fs.readFileSync(file, "utf8"), "orders")).to.deep.equal({ blue: 0, green: 100 });
    });

    it("a full disk while the new file is written: no temporary file, no lock, the file unchanged", async () => {
        for (const [name, code] of [
            ["writeSync", "ENOSPC"],
            ["fsyncSync", "EIO"],
            ["renameSync", "EXDEV"],
            ["closeSync", "EDQUOT"],
        ] as const) {
            const disk = faultyFs(failing(name, (t) => t.endsWith(".tmp"), code));
            const err = await editStackFile(file, "flip", toGreen, { fs: disk.fs, waitMs: 0 }).catch((e: unknown) => e);
            expect(classify(err).line, name).to.match(new RegExp(`^error: cannot (write|replace) .*: ${code}`));
            expect(fs.readdirSync(dir), name).to.deep.equal(["Pulumi.prod.yaml"]);
            expect(fs.readFileSync(file, "utf8")).to.equal(PROD);
        }
    });

    it("what a killed edit left (its temporary file, a clock probe, a lock moved aside, its lock) is cleaned by the next edit", async () => {
        const dead = deadPid();
        const host = os.hostname();
        const leftovers = [
            `.Pulumi.prod.yaml.${host}.${dead}.0b6a2c3e-8d1f-4a5b-9c7d-1e2f3a4b5c6d.tmp`,
            `.bluegreen-clock.${host}.${dead}.1b6a2c3e-8d1f-4a5b-9c7d-1e2f3a4b5c6d`,
            `Pulumi.prod.yaml.lock.stale.${host}.${dead}.2b6a2c3e-8d1f-4a5b-9c7d-1e2f3a4b5c6d`,
            // Written before names carried the host: gone by age only.
            `.Pulumi.prod.yaml.${dead}.3b6a2c3e-8d1f-4a5b-9c7d-1e2f3a4b5c6d.tmp`,
        ];
        const kept = [
            // Another host's, and young: its process may still run.
            `.Pulumi.prod.yaml.other-host.${dead}.4b6a2c3e-8d1f-4a5b-9c7d-1e2f3a4b5c6d.tmp`,
            // A live process's of this host.
            `.Pulumi.prod.yaml.${host}.${process.pid}.5b6a2c3e-8d1f-4a5b-9c7d-1e2f3a4b5c6d.tmp`,
            // Not ours at all.
            "notes.txt",
        ];
        for (const name of [...leftovers, ...kept]) {
            fs.writeFileSync(path.join(dir, name), "half a file");
        }
        age(path.join(dir, leftovers[3]), STALE_AFTER_MS + 60_000);
        fs.writeFileSync(lockFilePath(file), JSON.stringify({ pid: dead, host, startedAt: "then", command: "a killed flip", token: "t" }));
        await editStackFile(file, "flip", toGreen, { waitMs: 0 });
        expect(fs.readdirSync(dir).sort()).to.deep.equal(["Pulumi.prod.yaml", ...kept].sort());
    });

    it("a lock that holds no owner (its writer failed or was killed) is taken over once older than the few seconds a write takes", async () => {
        fs.writeFileSync(lockFilePath(file), "");
        expect(StackLock.tryAcquire(file, "flip")).to.deep.include({ describe: "a lock file being written or not written by a flip" });
        age(lockFilePath(file), UNREADABLE_AFTER_MS + 1000);
        await editStackFile(file, "flip", toGreen, { waitMs: 0 });
        expect(fs.readdirSync(dir)).to.deep.equal(["Pulumi.prod.yaml"]);
    });

    it("a lock stamped in the future: held while within the limit, taken over beyond it", async () => {
        fs.writeFileSync(lockFilePath(file), JSON.stringify({ pid: 1, host: "host-with-a-fast-clock", startedAt: "later", command: "flip", token: "t" }));
        age(lockFilePath(file), -5 * 60_000);
        const err = await StackLock.acquire(file, "flip", { waitMs: 0 }).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(StackLockedError);
        age(lockFilePath(file), -(STALE_AFTER_MS + 60 * 60_000));
        await editStackFile(file, "flip", toGreen, { waitMs: 0 });
        expect(fs.readdirSync(dir)).to.deep.equal(["Pulumi.prod.yaml"]);
        expect(trafficIn(fs.readFileSync(file, "utf8"), "orders")).to.deep.equal({ blue: 0, green: 100 });
    });
});

describe("randomized: stack-file edits with injected faults, kills and foreign locks (fast-check)", () => {
    // The edits' texts, worked out once (a YAML edit takes tens of milliseconds; the lock and the write are what is tested).
    const GREENS = [0, 10, 50, 100] as const;
    const WANT = new Map<number, string>(GREENS.map((green) => [green, editTrafficText(PROD, "orders", { blue: 100 - green, green })]));
    type Op =
        | { readonly kind: "edit"; readonly green: number; readonly fault?: { readonly at: number; readonly kill: boolean; readonly code: string } }
        | { readonly kind: "time passes" }
        | { readonly kind: "foreign lock"; readonly aheadMs: number };

    const op: fc.Arbitrary<Op> = fc.oneof(
        { weight: 5, arbitrary: fc.record({ kind: fc.constant("edit" as const), green: fc.constantFrom(...GREENS) }) },
        {
            weight: 4,
            arbitrary: fc.record({
                kind: fc.constant("edit" as const),
                green: fc.constantFrom(...GREENS),
                fault: fc.record({ at: fc.nat({ max: 40 }), kill: fc.boolean(), code: fc.constantFrom("ENOSPC", "EIO", "EDQUOT", "EACCES") }),
            }),
        },
        { weight: 2, arbitrary: fc.constant({ kind: "time passes" as const }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant("foreign lock" as const), aheadMs: fc.constantFrom(-2 * STALE_AFTER_MS, 60_000, 2 * STALE_AFTER_MS) }) },
    );

    it("the stack file is always the old or the new text, byte for byte; every failure is one line; after a clean edit nothing but the stack file remains", async function () {
        this.timeout(Math.max(20_000, RUNS * 200));
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-fc-"));
        const file = path.join(dir, "Pulumi.prod.yaml");
        const dead = new Set<number>();
        let nextPid = 900_000;
        const liveFiles = () => fs.readdirSync(dir).sort();
        try {
            await fc.assert(
                fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
                    fs.rmSync(dir, { recursive: true, force: true });
                    fs.mkdirSync(dir);
                    fs.writeFileSync(file, PROD);
                    let text = PROD;
                    for (const step of ops) {
                        if (step.kind === "time passes") {
                            for (const name of fs.readdirSync(dir)) {
                                const full = path.join(dir, name);
                                const at = new Date(fs.statSync(full).mtimeMs - STALE_AFTER_MS - 60_000);
                                fs.utimesSync(full, at, at);
                            }
                            continue;
                        }
                        if (step.kind === "foreign lock") {
                            if (!fs.existsSync(lockFilePath(file))) {
                                fs.writeFileSync(lockFilePath(file), JSON.stringify({ pid: 4242, host: "another-host", startedAt: "?", command: "flip", token: "foreign" }));
                                age(lockFilePath(file), -step.aheadMs);
                            }
                            continue;
                        }
                        // Each edit is a process of its own: its pid is dead once it ends, or is killed.
                        const pid = nextPid++;
                        const plan: FaultPlan = (call) => (step.fault && call.n === step.fault.at ? (step.fault.kill ? { kind: "kill" } : { kind: "errno", code: step.fault.code }) : undefined);
                        const disk = faultyFs(plan);
                        const options: LockOptions = { fs: disk.fs, waitMs: 0, pid, isAlive: (p) => p === process.pid || (!dead.has(p) && p !== 4242 && p < 900_000) };
                        const want = WANT.get(step.green)!;
                        const before = liveFiles();
                        let outcome: "ok" | "killed" | "failed";
                        try {
                            await editStackFile(file, "flip", () => want, options);
                            outcome = "ok";
                        } catch (err) {
                            // A kill surfaces as whatever the dying code threw; the process ends there either way.
                            if (err instanceof Killed || disk.killed()) {
                                outcome = "killed";
                            } else {
                                const { code, line } = classify(err);
                                expect(line.split("\n"), line).to.have.length(1);
                                expect(code, line).to.equal(2);
                                outcome = "failed";
                            }
                        }
                        dead.add(pid);
                        const now = fs.readFileSync(file, "utf8");
                        expect([text, want], `after ${JSON.stringify(step)}: ${outcome}`).to.include(now);
                        text = now;
                        if (outcome === "ok" && !step.fault) {
                            // A clean edit: everything a killed or failed edit left was swept by this one.
                            expect(liveFiles(), JSON.stringify(ops)).to.deep.equal(["Pulumi.prod.yaml"]);
                        }
                        if (outcome === "failed") {
                            // A failure adds nothing to the folder.
                            expect(liveFiles().filter((f) => !before.includes(f)), JSON.stringify(step)).to.deep.equal([]);
                        }
                    }
                }),
                { seed: 20261205, numRuns: RUNS },
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("randomized: the client reads any rollout document, or says in one line why it cannot (fast-check)", () => {
    const world = new FlipWorld();
    let valid: RolloutState;
    before(async () => {
        await world.setUp();
        await world.startRollout();
        await world.runEngineUntil(world.engine.now + 120_000);
        valid = world.state();
    });
    after(() => world.tearDown());

    it("rolloutStateOf accepts a document only if status can render it, and refuses anything else with one line (exit 3)", () => {
        const anyJson = fc.jsonValue({ maxDepth: 3 });
        /** A valid state with one to three fields (or fields of its spec) deleted or replaced by random JSON. */
        const mutated = fc
            .array(fc.tuple(fc.constantFrom(...Object.keys(valid), "spec.services", "spec.stack", "spec.strategy", "schemaVersion"), fc.option(anyJson, { nil: undefined })), { minLength: 1, maxLength: 3 })
            .map((changes) => {
                const doc = JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
                for (const [key, value] of changes) {
                    const [head, sub] = key.split(".");
                    const holder = (sub ? doc[head] : doc) as Record<string, unknown>;
                    if (value === undefined) {
                        delete holder[sub ?? head];
                    } else {
                        holder[sub ?? head] = value;
                    }
                }
                return doc;
            });
        fc.assert(
            fc.property(fc.oneof(mutated, anyJson), (doc) => {
                let state: RolloutState;
                try {
                    state = rolloutStateOf(doc, rolloutStateKey("prod-0000000000000000-1"));
                } catch (err) {
                    expect(err).to.be.instanceOf(UnreadableState);
                    const { code, line } = classify(err);
                    expect(line.split("\n")).to.have.length(1);
                    expect(code).to.equal(3);
                    return;
                }
                const services = state.spec.services.map((s) => s.service);
                const live = Object.fromEntries(state.spec.services.map((s) => [s.service, s.to]));
                const claims = { schemaVersion: 3, services: Object.fromEntries(services.map((s) => [s, { rolloutId: state.rolloutId, claimedAt: state.startedAt }])) };
                formatStatus(statusReport("prod", services, claims, new Map([[state.rolloutId, state]]), live, live, Date.now()), Date.now());
                describeRollout(state, Date.now());
            }),
            { seed: 20261205, numRuns: 400 },
        );
    });
});
