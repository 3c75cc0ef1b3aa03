// The stack file's editing guarantees: edits read under the lock (tested with real, separate
// processes racing on one file), a lock that other hosts see and that is taken over only when
// provably stale, symlinks kept, mode and owner kept, read-only files refused.
import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { editStackFile, editTrafficText } from "../../../cli/flip/stackFile";
import { fsFailure, lockFilePath, STALE_AFTER_MS, StackLock, StackLockedError } from "../../../cli/flip/stackLock";
import { reportError } from "../../../cli/shared/run";
import { ROOT, TYPESCRIPT } from "../../support/harness";

const FLIP = path.join(ROOT, "cli", "flip", "main.ts");

/** `node -r ./cli/register.js cli/flip/main.ts args...` (what `npm run flip` runs) as a process of its own. */
function startFlip(args: string[]): { output: () => string; seen: (text: string) => Promise<void>; done: Promise<number | null> } {
    const child = spawn(process.execPath, [...TYPESCRIPT, FLIP, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CONSUL_HTTP_ADDR: "" } });
    let output = "";
    const waiters: { text: string; resolve: () => void }[] = [];
    const onData = (chunk: Buffer) => {
        output += chunk.toString();
        waiters.filter((w) => output.includes(w.text)).forEach((w) => w.resolve());
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const done = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    return {
        output: () => output,
        seen: (text) => Promise.race([new Promise<void>((resolve) => waiters.push({ text, resolve })), done.then(() => undefined)]),
        done,
    };
}

describe("stack file edits", () => {
    let dir: string;

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-stackfile-"));
        fs.copyFileSync(path.join(ROOT, "Pulumi.dev.yaml"), path.join(dir, "Pulumi.dev.yaml"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("reads the file under the lock: a flip that waited for another process's lock keeps that process's edit", async () => {
        // This test process plays the other flip: it holds the lock, and edits the file only after
        // the flip (a separate process) has said that it waits for the lock. A flip that read the
        // file before taking the lock would write the old inventory weights back.
        const file = path.join(dir, "Pulumi.dev.yaml");
        const lock = await StackLock.acquire(file, "the other flip");
        const other = startFlip(["--stack", "dev", "--service", "orders", "--to", "green", "--no-up", "--dir", dir]);
        await other.seen("waiting for the lock");
        fs.writeFileSync(file, editTrafficText(fs.readFileSync(file, "utf8"), "inventory", { blue: 0, green: 100 }));
        lock.release();
        expect(await other.done, other.output()).to.equal(0);
        expect(fs.readFileSync(file, "utf8").match(/traffic: \{ blue: 0, green: 100 \}/g), other.output()).to.have.length(2);
        expect(fs.readdirSync(dir)).to.deep.equal(["Pulumi.dev.yaml"]);
    });

    const orders = (text: string) => editTrafficText(text, "orders", { blue: 0, green: 100 });

    it("keeps a symlinked stack file a symlink, replacing its target in the target's folder, and locks the target", async () => {
        const shared = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-shared-"));
        try {
            const target = path.join(shared, "Pulumi.dev.yaml");
            fs.renameSync(path.join(dir, "Pulumi.dev.yaml"), target);
            const link = path.join(dir, "Pulumi.dev.yaml");
            fs.symlinkSync(target, link);
            const held = await StackLock.acquire(target, "a flip through another link");
            expect(await editStackFile(link, "flip", orders, { waitMs: 0 }).catch((e: unknown) => e)).to.be.instanceOf(StackLockedError);
            held.release();
            const { before, after } = await editStackFile(link, "flip", orders, { waitMs: 0 });
            expect(fs.lstatSync(link).isSymbolicLink()).to.equal(true);
            expect(fs.readlinkSync(link)).to.equal(target);
            expect(fs.readFileSync(target, "utf8")).to.equal(after).and.not.equal(before);
            expect(fs.readdirSync(shared)).to.deep.equal(["Pulumi.dev.yaml"]);
            expect(fs.readdirSync(dir)).to.deep.equal(["Pulumi.dev.yaml"]);
        } finally {
            fs.rmSync(shared, { recursive: true, force: true });
        }
    });

    it("keeps the file's mode and owner", async () => {
        const file = path.join(dir, "Pulumi.dev.yaml");
        fs.chmodSync(file, 0o640);
        const owner = process.getuid?.() === 0 ? { uid: 4321, gid: 4322 } : { uid: fs.statSync(file).uid, gid: fs.statSync(file).gid };
        fs.chownSync(file, owner.uid, owner.gid);
        await editStackFile(file, "flip", orders);
        const stat = fs.statSync(file);
        expect({ mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid }).to.deep.equal({ mode: 0o640, ...owner });
        expect(fs.readFileSync(file, "utf8")).to.include("traffic: { blue: 0, green: 100 }");
    });

    it("refuses a read-only stack file with one line, and writes nothing", async () => {
        const file = path.join(dir, "Pulumi.dev.yaml");
        fs.chmodSync(file, 0o444);
        const err = await editStackFile(file, "flip", orders).catch((e: unknown) => e);
        expect((err as Error).message).to.equal(`${file} is read-only (mode 0444); make it writable (chmod u+w) if the flip should edit it`);
        const printed: string[] = [];
        expect(reportError(err, (t) => printed.push(t))).to.equal(1);
        expect(printed).to.deep.equal([`error: ${(err as Error).message}`]);
        expect(fs.readFileSync(file, "utf8")).to.equal(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8"));
        expect(fs.readdirSync(dir)).to.deep.equal(["Pulumi.dev.yaml"]);
    });

    it("reports a filesystem error as one line with its code", async () => {
        const err = await StackLock.acquire(path.join(dir, "missing", "Pulumi.dev.yaml"), "flip").catch((e: unknown) => e);
        expect((err as Error).message).to.match(/^cannot create the lock file .*missing\/Pulumi.dev.yaml.lock: ENOENT \(ENOENT: no such file or directory, open '.*'\)$/);
        const denied = Object.assign(new Error("EACCES: permission denied, open '/x/Pulumi.prod.yaml.lock'"), { code: "EACCES" });
        expect(fsFailure("cannot create the lock file /x/Pulumi.prod.yaml.lock", denied).message).to.equal("cannot create the lock file /x/Pulumi.prod.yaml.lock: EACCES (permission denied)");
    });
});

describe("the stack file lock", () => {
    let dir: string;
    let file: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-lock-"));
        file = path.join(dir, "Pulumi.prod.yaml");
        fs.writeFileSync(file, "config: {}\n");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const plant = (owner: object, ageMs = 0) => {
        fs.writeFileSync(lockFilePath(file), JSON.stringify({ startedAt: "then", command: "an old flip", token: "t-old", ...owner }));
        const at = new Date(Date.now() - ageMs);
        fs.utimesSync(lockFilePath(file), at, at);
    };
    const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid as number;

    it("holds who took it, and lets the next flip in once released", async () => {
        const lock = await StackLock.acquire(file, "npm run flip -- set", { host: "ci-runner-7" });
        const owner = JSON.parse(fs.readFileSync(lockFilePath(file), "utf8")) as Record<string, unknown>;
        expect(owner).to.include({ pid: process.pid, host: "ci-runner-7", command: "npm run flip -- set" });
        expect(owner.token).to.be.a("string");
        const refused = StackLock.tryAcquire(file, "second", { host: "ci-runner-7" });
        expect(refused).to.not.be.instanceOf(StackLock);
        lock.release();
        (StackLock.tryAcquire(file, "second") as StackLock).release();
        expect(fs.readdirSync(dir)).to.deep.equal(["Pulumi.prod.yaml"]);
    });

    it("takes over a lock of this host whose process is gone", async () => {
        plant({ pid: deadPid(), host: os.hostname() });
        (await StackLock.acquire(file, "flip", { waitMs: 0 })).release();
        expect(fs.readdirSync(dir)).to.deep.equal(["Pulumi.prod.yaml"]);
    });

    it("leaves another host's lock alone (its pid means nothing here) until it is older than the limit by the folder's clock", async () => {
        plant({ pid: deadPid(), host: "other-host" }, STALE_AFTER_MS - 60_000);
        const err = await StackLock.acquire(file, "flip", { waitMs: 0 }).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(StackLockedError);
        expect((err as Error).message).to.match(/another flip holds Pulumi.prod.yaml \(pid \d+ on other-host, since then: an old flip\) and did not let go within 0s/);
        // A live process of this host is never stale by pid either.
        plant({ pid: process.pid, host: os.hostname() }, 1000);
        expect(StackLock.tryAcquire(file, "flip")).to.not.be.instanceOf(StackLock);
        plant({ pid: 1, host: "other-host" }, STALE_AFTER_MS + 60_000);
        (await StackLock.acquire(file, "flip", { waitMs: 0 })).release();
    });

    it("treats a lock file it cannot parse (being written) as held, unless it is older than the limit", () => {
        fs.writeFileSync(lockFilePath(file), "");
        expect(StackLock.tryAcquire(file, "flip")).to.deep.include({ describe: "a lock file being written or not written by a flip" });
        const old = new Date(Date.now() - STALE_AFTER_MS - 1000);
        fs.utimesSync(lockFilePath(file), old, old);
        expect(StackLock.tryAcquire(file, "flip")).to.be.instanceOf(StackLock);
    });

    it("never writes after its lock was taken over, and does not remove the new holder's lock", async () => {
        const paused = await StackLock.acquire(file, "a flip that was paused");
        // Another host decides the paused flip's lock is stale (as it would after the limit) and takes it.
        const raw = fs.readFileSync(lockFilePath(file), "utf8");
        fs.writeFileSync(lockFilePath(file), raw.replace(/"token":"[^"]+"/, '"token":"the-new-holder"'));
        expect(() => paused.assertHeld()).to.throw(StackLockedError, "was taken over while this flip held it");
        paused.release();
        expect(fs.readFileSync(lockFilePath(file), "utf8")).to.include("the-new-holder");
    });
});
