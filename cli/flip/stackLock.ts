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
// - it holds no owner (empty or cut short: its writer failed, a full disk, or was killed between
//   creating and writing it) and is older than UNREADABLE_AFTER_MS: writing one takes microseconds;
// - it is stamped more than STALE_AFTER_MS in the future (a host whose clock was ahead, a clock set
//   back since): its age cannot be known, and a live holder would still never write after the
//   takeover (below).
// Taking over renames the lock aside (atomic; one taker wins) and puts it back if the renamed file
// turns out to be a newer lock. A holder checks that the lock still holds its token right before it
// replaces the stack file, so even a holder paused past the limit never writes over a takeover.
//
// No debris: a lock whose owner cannot be written is removed before the failure is reported; every
// other file a flip makes next to the stack file (the edit's temporary file, the clock probe, a lock
// moved aside) carries the host and pid that made it, and the next flip to hold the lock removes
// those whose process is gone (same host) or that are older than STALE_AFTER_MS.
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
/** A lock file without a readable owner this old was never finished by its writer. */
export const UNREADABLE_AFTER_MS = 10_000;
/** How long a flip waits for a held lock before it refuses. */
const DEFAULT_WAIT_MS = 15_000;
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

/** The filesystem calls of the lock and the edit: the real `fs`, or a test's with injected faults. */
export type FileSystem = Pick<
    typeof fs,
    | "openSync"
    | "writeSync"
    | "closeSync"
    | "fsyncSync"
    | "fchmodSync"
    | "fstatSync"
    | "fchownSync"
    | "readFileSync"
    | "writeFileSync"
    | "statSync"
    | "lstatSync"
    | "renameSync"
    | "linkSync"
    | "rmSync"
    | "readdirSync"
    | "realpathSync"
    | "accessSync"
    | "existsSync"
>;

export interface LockOptions {
    /** Default: Node's fs. */
    readonly fs?: FileSystem;
    /** Whether a pid runs on this host (default: signal 0). */
    readonly isAlive?: (pid: number) => boolean;
    readonly waitMs?: number;
    /** Told once, when the lock is held by someone else and the flip starts to wait. */
    readonly onWait?: (holder: string) => void;
    readonly host?: string;
    /** This process's pid as the lock and the names of its files record it (default process.pid). */
    readonly pid?: number;
}

/** Who makes a file: the host and pid its name and the lock record. */
export interface Maker {
    readonly host: string;
    readonly pid: number;
}

export function makerOf(options: LockOptions): Maker {
    return { host: options.host ?? os.hostname(), pid: options.pid ?? process.pid };
}

export function lockFilePath(stackFile: string): string {
    return `${stackFile}.lock`;
}

export class StackLock {
    private released = false;

    private constructor(
        readonly file: string,
        private readonly owner: LockOwner,
        private readonly files: FileSystem,
    ) {}

    /** Takes the lock of `stackFile`, waiting up to `waitMs` for a live holder. */
    static async acquire(stackFile: string, command: string, options: LockOptions = {}): Promise<StackLock> {
        const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
        const deadline = Date.now() + waitMs;
        let told = false;
        for (;;) {
            const result = StackLock.tryAcquire(stackFile, command, options);
            if (result instanceof StackLock) {
                sweepDebris(stackFile, options);
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
        const files = options.fs ?? fs;
        const file = lockFilePath(stackFile);
        const me = makerOf(options);
        const host = me.host;
        const owner: LockOwner = { pid: me.pid, host, startedAt: new Date().toISOString(), command, token: randomUUID() };
        for (let attempt = 0; attempt < 3; attempt++) {
            if (createExclusive(files, file, `${JSON.stringify(owner)}\n`)) {
                return new StackLock(file, owner, files);
            }
            const seen = inspect(files, file, me);
            if (seen === undefined) {
                continue; // released between our create and our read
            }
            const staleBecause = whyStale(seen, host, options.isAlive ?? processIsAlive);
            if (!staleBecause) {
                return { owner: seen.owner, describe: describeHolder(seen) };
            }
            takeOver(files, file, seen, me);
        }
        return { describe: "flips that keep taking it" };
    }

    /** Throws unless the lock file still holds this lock's token (it was not taken over). */
    assertHeld(): void {
        const now = inspect(this.files, this.file, this.owner);
        if (now?.owner?.token !== this.owner.token) {
            throw new StackLockedError(`the lock ${this.file} was taken over while this flip held it (it was paused longer than ${STALE_AFTER_MS / 60_000} minutes?); nothing was written`);
        }
    }

    /** Removes the lock if it is still this one's; never fails (the edit it guarded is done). */
    release(): void {
        if (this.released) {
            return;
        }
        this.released = true;
        let ours: boolean;
        try {
            ours = inspect(this.files, this.file, this.owner)?.owner?.token === this.owner.token;
        } catch {
            // Unreadable just now: it held this lock's token a moment ago (assertHeld), so it goes.
            ours = true;
        }
        if (ours) {
            try {
                this.files.rmSync(this.file, { force: true });
            } catch {
                // Left for the next flip, which takes it over once this process has ended.
            }
        }
    }
}

interface SeenLock {
    readonly owner?: LockOwner;
    /** The lock's age by the folder's clock. */
    readonly ageMs: number;
    readonly raw: string;
}

/** Creates the lock with its owner, or removes what it created and reports why it could not. */
function createExclusive(files: FileSystem, file: string, content: string): boolean {
    let fd: number;
    try {
        fd = files.openSync(file, "wx", 0o644);
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EEXIST") {
            return false;
        }
        throw fsFailure(`cannot create the lock file ${file}`, err);
    }
    let failure: unknown;
    try {
        const bytes = Buffer.from(content);
        for (let written = 0; written < bytes.length; ) {
            written += files.writeSync(fd, bytes, written, bytes.length - written);
        }
    } catch (err) {
        failure = err;
    }
    try {
        files.closeSync(fd);
    } catch (err) {
        failure ??= err;
    }
    if (failure !== undefined) {
        // Never leave a lock without its owner behind (it would block every flip for a while).
        try {
            files.rmSync(file, { force: true });
        } catch {
            // Reported below; the next flip treats an ownerless lock past UNREADABLE_AFTER_MS as stale.
        }
        throw fsFailure(`cannot write the lock file ${file}`, failure);
    }
    return true;
}

function inspect(files: FileSystem, file: string, me: Maker): SeenLock | undefined {
    let raw: string;
    let mtimeMs: number;
    try {
        raw = files.readFileSync(file, "utf8");
        mtimeMs = files.statSync(file).mtimeMs;
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") {
            return undefined;
        }
        throw fsFailure(`cannot read the lock file ${file}`, err);
    }
    return { owner: parseOwner(raw), ageMs: folderNow(files, path.dirname(file), me) - mtimeMs, raw };
}

/**
 * "Now" by the clock that stamps files in `dir`: the mtime of a file written there just now (this
 * machine's clock when the folder takes no file, a full disk say). The probe is named for its
 * host and pid, so that one left by a killed flip is swept (sweepDebris).
 */
function folderNow(files: FileSystem, dir: string, me: Maker): number {
    const probe = path.join(dir, `.bluegreen-clock.${me.host}.${me.pid}.${randomUUID()}`);
    try {
        files.writeFileSync(probe, "");
        return files.statSync(probe).mtimeMs;
    } catch {
        return Date.now();
    } finally {
        try {
            files.rmSync(probe, { force: true });
        } catch {
            // swept by a later flip
        }
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
    if (-seen.ageMs > STALE_AFTER_MS) {
        return `stamped ${Math.round(-seen.ageMs / 60_000)} minutes in the future`;
    }
    if (!seen.owner && seen.ageMs > UNREADABLE_AFTER_MS) {
        return `holds no owner after ${UNREADABLE_AFTER_MS / 1000}s (its writer failed)`;
    }
    return undefined;
}

function takeOver(files: FileSystem, file: string, seen: SeenLock, me: Maker): void {
    const aside = `${file}.stale.${me.host}.${me.pid}.${randomUUID()}`;
    try {
        files.renameSync(file, aside);
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") {
            return; // another flip took it over first
        }
        throw fsFailure(`cannot take over the stale lock ${file}`, err);
    }
    const putBack = () => {
        try {
            files.linkSync(aside, file);
        } catch {
            // Yet another lock exists, or none can be made: its holder's assertHeld() sees the token gone and writes nothing.
        }
    };
    try {
        let moved: string;
        try {
            moved = files.readFileSync(aside, "utf8");
        } catch (err) {
            // Which lock was moved is unknown: put it back and take nothing.
            putBack();
            throw fsFailure(`cannot read the lock ${file} while taking it over`, err);
        }
        if (moved !== seen.raw) {
            // We moved a newer lock that replaced the stale one: put it back unless yet another exists.
            putBack();
        }
    } finally {
        try {
            files.rmSync(aside, { force: true });
        } catch {
            // swept by a later flip
        }
    }
}

/** The temporary file of an edit of `stackFile`, named for its host and pid (sweepDebris). */
export function tempFileName(stackFile: string, me: Maker): string {
    return path.join(path.dirname(stackFile), `.${path.basename(stackFile)}.${me.host}.${me.pid}.${randomUUID()}.tmp`);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/**
 * Removes what killed flips left next to `stackFile` (its edit's temporary files, locks moved
 * aside, clock probes): those of this host whose process is gone, and any older than
 * STALE_AFTER_MS by the folder's clock. Called by the lock's holder; never fails the edit.
 */
function sweepDebris(stackFile: string, options: LockOptions): void {
    const files = options.fs ?? fs;
    const dir = path.dirname(stackFile);
    const base = escapeRegExp(path.basename(stackFile));
    const me = makerOf(options);
    const isAlive = options.isAlive ?? processIsAlive;
    const patterns = [new RegExp(`^\\.${base}\\.(?:(.+)\\.)?(\\d+)\\.${UUID}\\.tmp$`), new RegExp(`^${base}\\.lock\\.stale\\.(?:(.+)\\.)?(\\d+)\\.${UUID}$`), new RegExp(`^\\.bluegreen-clock\\.(?:(.+)\\.)?(\\d+)\\.${UUID}$`)];
    try {
        const now = folderNow(files, dir, me);
        for (const name of files.readdirSync(dir)) {
            const match = patterns.map((p) => p.exec(name)).find((m) => m !== null);
            if (!match) {
                continue;
            }
            const [, madeOn, pid] = match;
            const full = path.join(dir, name);
            const gone = madeOn === me.host && Number(pid) !== me.pid && !isAlive(Number(pid));
            if (gone || now - files.lstatSync(full).mtimeMs > STALE_AFTER_MS) {
                files.rmSync(full, { force: true });
            }
        }
    } catch {
        // Debris is harmless (no flip reads it); the next holder tries again.
    }
}

function describeHolder(seen: SeenLock): string {
    const o = seen.owner;
    return o ? `pid ${o.pid} on ${o.host}, since ${o.startedAt}: ${o.command}` : "a lock file being written or not written by a flip";
}

/** A filesystem error as one line: what failed, the code and its meaning. */
export function fsFailure(what: string, err: unknown): KnownFailure {
    const e = err as NodeJS.ErrnoException;
    const reason =
        e.code === "EACCES" || e.code === "EPERM"
            ? "permission denied"
            : e.code === "EROFS"
              ? "read-only filesystem"
              : e.code === "ENOSPC"
                ? "no space left on the device"
                : e.code === "EDQUOT"
                  ? "disk quota exceeded"
                  : (e.message ?? String(e)).split("\n")[0];
    return new KnownFailure(`${what}: ${e.code ? `${e.code} (${reason})` : reason}`);
}

function processIsAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
    }
}
