// The lock that keeps two edits off one stack file, also across hosts that share the folder (NFS,
// a synced checkout on a build host): a file `<stack file>.lock` created with O_EXCL, which is
// atomic on local filesystems and on NFSv3 and later, holding who took it (host, pid, time, command)
// and a random token. It is held only while a flip reads, edits and writes the file (milliseconds),
// never while `pulumi up` runs; a flip that finds it held waits a little, then refuses naming the
// holder.
//
// A lock is taken over only when it is provably stale:
// - its host is this host and its pid no longer runs, or
// - it is older than STALE_AFTER_MS, measured with the folder's own clock (the lock's mtime against
//   that of a file written just now next to it), so clock skew between hosts cannot make a fresh
//   lock look old.
// Taking over renames the lock aside (atomic; one taker wins) and puts it back if the renamed file
// turns out to be a newer lock. A holder checks that the lock still holds its token right before it
// replaces the stack file, so even a holder paused past the limit never writes over a takeover.
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { KnownFailure } from "../shared/run";

/**
 * A lock this old is stale wherever it came from. An edit holds the lock for milliseconds; ten
 * minutes leaves room for a hard NFS mount that stalls for minutes before it recovers.
 */
export const STALE_AFTER_MS = 10 * 60_000;
/** How long a flip waits for a held lock before it refuses. */
export const DEFAULT_WAIT_MS = 15_000;
const RETRY_MS = 50;

export interface LockOwner {
    readonly pid: number;
    readonly host: string;
    readonly startedAt: string;
    readonly command: string;
    readonly token: string;
}

/** Another flip holds the stack file (or held it, and it was taken over). */
export class StackLockedError extends KnownFailure {
    constructor(
        message: string,
        readonly owner?: LockOwner,
    ) {
        super(message);
        this.name = "StackLockedError";
    }
}

export interface LockOptions {
    /** Whether a pid runs on this host (default: signal 0). */
    readonly isAlive?: (pid: number) => boolean;
    readonly waitMs?: number;
    /** Told once, when the lock is held by someone else and the flip starts to wait. */
    readonly onWait?: (holder: string) => void;
    readonly host?: string;
}

export function lockFilePath(stackFile: string): string {
    return `${stackFile}.lock`;
}

export class StackLock {
    private released = false;

    private constructor(
        readonly file: string,
        private readonly owner: LockOwner,
    ) {}

    /** Takes the lock of `stackFile`, waiting up to `waitMs` for a live holder. */
    static async acquire(stackFile: string, command: string, options: LockOptions = {}): Promise<StackLock> {
        const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
        const deadline = Date.now() + waitMs;
        let told = false;
        for (;;) {
            const result = StackLock.tryAcquire(stackFile, command, options);
            if (result instanceof StackLock) {
                return result;
            }
            if (Date.now() >= deadline) {
                throw new StackLockedError(
                    `another flip holds ${path.basename(stackFile)} (${result.describe}) and did not let go within ${Math.round(waitMs / 1000)}s; ` +
                        `if that process is gone, delete ${lockFilePath(stackFile)}`,
                    result.owner,
                );
            }
            if (!told) {
                told = true;
                options.onWait?.(`waiting for the lock on ${path.basename(stackFile)}, held by ${result.describe}`);
            }
            await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        }
    }

    /** One attempt: the lock, or who holds it. Takes over a provably stale lock. */
    static tryAcquire(stackFile: string, command: string, options: LockOptions = {}): StackLock | { owner?: LockOwner; describe: string } {
        const file = lockFilePath(stackFile);
        const host = options.host ?? os.hostname();
        const owner: LockOwner = { pid: process.pid, host, startedAt: new Date().toISOString(), command, token: randomUUID() };
        for (let attempt = 0; attempt < 3; attempt++) {
            if (createExclusive(file, `${JSON.stringify(owner)}\n`)) {
                return new StackLock(file, owner);
            }
            const seen = inspect(file);
            if (seen === undefined) {
                continue; // released between our create and our read
            }
            const staleBecause = whyStale(seen, host, options.isAlive ?? processIsAlive);
            if (!staleBecause) {
                return { owner: seen.owner, describe: describeHolder(seen) };
            }
            takeOver(file, seen);
        }
        return { describe: "flips that keep taking it" };
    }

    /** Throws unless the lock file still holds this lock's token (it was not taken over). */
    assertHeld(): void {
        const now = inspect(this.file);
        if (now?.owner?.token !== this.owner.token) {
            throw new StackLockedError(`the lock ${this.file} was taken over while this flip held it (it was paused longer than ${STALE_AFTER_MS / 60_000} minutes?); nothing was written`);
        }
    }

    release(): void {
        if (this.released) {
            return;
        }
        this.released = true;
        if (inspect(this.file)?.owner?.token === this.owner.token) {
            fs.rmSync(this.file, { force: true });
        }
    }
}

interface SeenLock {
    readonly owner?: LockOwner;
    /** The lock's age by the folder's clock. */
    readonly ageMs: number;
    readonly raw: string;
}

function createExclusive(file: string, content: string): boolean {
    let fd: number;
    try {
        fd = fs.openSync(file, "wx", 0o644);
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EEXIST") {
            return false;
        }
        throw fsFailure(`cannot create the lock file ${file}`, err);
    }
    try {
        fs.writeSync(fd, content);
    } finally {
        fs.closeSync(fd);
    }
    return true;
}

function inspect(file: string): SeenLock | undefined {
    let raw: string;
    let mtimeMs: number;
    try {
        raw = fs.readFileSync(file, "utf8");
        mtimeMs = fs.statSync(file).mtimeMs;
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") {
            return undefined;
        }
        throw fsFailure(`cannot read the lock file ${file}`, err);
    }
    return { owner: parseOwner(raw), ageMs: folderNow(path.dirname(file)) - mtimeMs, raw };
}

/** "Now" by the clock that stamps files in `dir`: the mtime of a file written there just now. */
function folderNow(dir: string): number {
    const probe = path.join(dir, `.bluegreen-clock.${process.pid}.${randomUUID()}`);
    try {
        fs.writeFileSync(probe, "");
        return fs.statSync(probe).mtimeMs;
    } catch {
        return Date.now();
    } finally {
        fs.rmSync(probe, { force: true });
    }
}

function parseOwner(raw: string): LockOwner | undefined {
    try {
        const owner = JSON.parse(raw) as Partial<LockOwner>;
        return typeof owner.pid === "number" && typeof owner.host === "string" ? (owner as LockOwner) : undefined;
    } catch {
        return undefined; // being written, or not ours
    }
}

function whyStale(seen: SeenLock, host: string, isAlive: (pid: number) => boolean): string | undefined {
    if (seen.owner && seen.owner.host === host && !isAlive(seen.owner.pid)) {
        return `pid ${seen.owner.pid} no longer runs on ${host}`;
    }
    if (seen.ageMs > STALE_AFTER_MS) {
        return `older than ${STALE_AFTER_MS / 60_000} minutes`;
    }
    return undefined;
}

function takeOver(file: string, seen: SeenLock): void {
    const aside = `${file}.stale.${process.pid}.${randomUUID()}`;
    try {
        fs.renameSync(file, aside);
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") {
            return; // another flip took it over first
        }
        throw fsFailure(`cannot take over the stale lock ${file}`, err);
    }
    try {
        if (fs.readFileSync(aside, "utf8") !== seen.raw) {
            // We moved a newer lock that replaced the stale one: put it back unless yet another exists.
            try {
                fs.linkSync(aside, file);
            } catch {
                // Its holder's assertHeld() will see the token gone and write nothing.
            }
        }
    } finally {
        fs.rmSync(aside, { force: true });
    }
}

function describeHolder(seen: SeenLock): string {
    const o = seen.owner;
    return o ? `pid ${o.pid} on ${o.host}, since ${o.startedAt}: ${o.command}` : "a lock file being written or not written by a flip";
}

/** A filesystem error as one line: what failed, the code and its meaning. */
export function fsFailure(what: string, err: unknown): KnownFailure {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === "EACCES" || e.code === "EPERM" ? "permission denied" : e.code === "EROFS" ? "read-only filesystem" : (e.message ?? String(e)).split("\n")[0];
    return new KnownFailure(`${what}: ${e.code ? `${e.code} (${reason})` : reason}`);
}

export function processIsAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
    }
}
