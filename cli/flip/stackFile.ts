// Editing Pulumi.<stack>.yaml for a flip: only the two weight scalars of one service change, byte
// for byte everything else stays (comments, order, quoting, flow style). The yaml Document API
// finds the scalars and their source ranges; the new numbers are spliced into the original text,
// which is then parsed again to prove that nothing but those weights moved. Writes are atomic
// (temporary file + rename in the same folder), and a lock file keeps two flips off one stack.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import * as YAML from "yaml";
import { COLOURS } from "../../src/config";
import { KnownFailure } from "../shared/run";
import { describeFsError, PROJECT } from "../../src/offline/stackFile";
import { Weights } from "./steps";

const SERVICES_KEY = `${PROJECT}:services`;

/** The stack file's traffic entry cannot be edited in place; the message says how to write it instead. */
export class TrafficNotEditableError extends KnownFailure {
    constructor(message: string) {
        super(message);
        this.name = "TrafficNotEditableError";
    }
}

/**
 * Returns `text` with `service`'s traffic weights replaced, or throws a TrafficNotEditableError
 * without changing anything. A YAML alias is refused: its values live at the anchor, which other
 * entries share, so editing them would change more than this service's weights.
 */
export function editTrafficText(text: string, service: string, weights: Weights): string {
    const key = `config.${SERVICES_KEY}.${service}.traffic`;
    const doc = YAML.parseDocument(text);
    if (doc.errors.length > 0) {
        throw new TrafficNotEditableError(`the stack file is not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
    }
    const traffic = doc.getIn(["config", SERVICES_KEY, service, "traffic"], true);
    const writeItOut = `write it out as { blue: <weight>, green: <weight> } for ${service} in the stack file`;
    if (YAML.isAlias(traffic)) {
        throw new TrafficNotEditableError(`${key} is a YAML alias (*${traffic.source}); the flip edits only this service's own weights: ${writeItOut}`);
    }
    if (!YAML.isMap(traffic)) {
        throw new TrafficNotEditableError(`${key} is not a map in the stack file; ${writeItOut}`);
    }
    const edits: { start: number; end: number; value: string }[] = [];
    for (const colour of COLOURS) {
        const node = traffic.get(colour, true);
        if (YAML.isAlias(node)) {
            throw new TrafficNotEditableError(`${key}.${colour} is a YAML alias (*${node.source}); ${writeItOut}`);
        }
        if (!YAML.isScalar(node) || !node.range) {
            throw new TrafficNotEditableError(`${key}.${colour} is not a plain number in the stack file; ${writeItOut}`);
        }
        edits.push({ start: node.range[0], end: node.range[1], value: String(weights[colour]) });
    }
    let edited = text;
    for (const edit of edits.sort((a, b) => b.start - a.start)) {
        edited = edited.slice(0, edit.start) + edit.value + edited.slice(edit.end);
    }
    const expected = YAML.parse(text) as { config: Record<string, Record<string, Record<string, unknown>>> };
    expected.config[SERVICES_KEY][service].traffic = { ...(expected.config[SERVICES_KEY][service].traffic as object), ...weights };
    if (!isDeepStrictEqual(YAML.parse(edited), expected)) {
        throw new TrafficNotEditableError(`editing the traffic of ${service} would change more than its weights (an anchor other entries share?); ${writeItOut}`);
    }
    return edited;
}

/** Replaces `file` with `text` so that a reader sees either the old or the new file, never half of one. */
export function writeFileAtomic(file: string, text: string): void {
    const dir = path.dirname(file);
    const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
    const mode = fs.existsSync(file) ? fs.statSync(file).mode & 0o777 : 0o644;
    const fd = fs.openSync(temp, "wx", mode);
    try {
        fs.writeSync(fd, text);
        fs.fsyncSync(fd);
    } finally {
        fs.closeSync(fd);
    }
    try {
        fs.renameSync(temp, file);
    } catch (err) {
        fs.rmSync(temp, { force: true });
        throw err;
    }
}

export interface LockOwner {
    readonly pid: number;
    readonly host: string;
    readonly startedAt: string;
    readonly command: string;
}

/** Another flip holds the stack. */
export class StackLockedError extends KnownFailure {
    constructor(
        message: string,
        readonly owner?: LockOwner,
    ) {
        super(message);
        this.name = "StackLockedError";
    }
}

export function lockFilePath(stackFile: string): string {
    return `${stackFile}.lock`;
}

/**
 * An exclusive lock next to the stack file, created with O_EXCL. A lock left by a process that no
 * longer runs on this host is stale and taken over; a live one, or one from another host, refuses.
 */
export class StackLock {
    private released = false;

    private constructor(readonly file: string) {}

    static acquire(stackFile: string, command: string, isAlive: (pid: number) => boolean = processIsAlive): StackLock {
        const file = lockFilePath(stackFile);
        const owner: LockOwner = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), command };
        for (let attempt = 0; attempt < 2; attempt++) {
            try {
                const fd = fs.openSync(file, "wx", 0o644);
                fs.writeSync(fd, `${JSON.stringify(owner)}\n`);
                fs.closeSync(fd);
                return new StackLock(file);
            } catch (err) {
                if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
                    throw new KnownFailure(
                        `cannot create the lock file ${file}: ${describeFsError(err)}; the flip writes the lock and the stack file in ${path.dirname(file)}: run it as a user who may write there`,
                    );
                }
            }
            const holder = readOwner(file);
            const stale = holder !== undefined && holder.host === os.hostname() && !isAlive(holder.pid);
            if (!stale) {
                const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}: ${holder.command}` : "an unreadable lock file";
                throw new StackLockedError(
                    `another flip holds ${path.basename(stackFile)} (${who}); wait for it to finish, or if it is gone, delete ${file}`,
                    holder,
                );
            }
            fs.rmSync(file, { force: true });
        }
        throw new StackLockedError(`could not take the lock ${file}; another flip keeps taking it`);
    }

    release(): void {
        if (!this.released) {
            this.released = true;
            fs.rmSync(this.file, { force: true });
        }
    }
}

function readOwner(file: string): LockOwner | undefined {
    try {
        const owner = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<LockOwner>;
        return typeof owner.pid === "number" && typeof owner.host === "string" ? (owner as LockOwner) : undefined;
    } catch {
        return undefined;
    }
}

export function processIsAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
    }
}
