// Editing Pulumi.<stack>.yaml for a flip: only the two weight scalars of one service change, byte
// for byte everything else stays (comments, order, quoting, flow style). The yaml Document API
// finds the scalars and their source ranges; the new numbers are spliced into the original text,
// which is then parsed again to prove that nothing but those weights moved. Every edit reads the
// file under the stack's lock (stackLock.ts) and replaces it atomically.
import * as fs from "fs";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import * as YAML from "yaml";
import { COLOURS } from "../../src/config";
import { KnownFailure } from "../shared/run";
import { PROJECT, stackValuesOf } from "../../src/offline/stackFile";
import { FileSystem, fsFailure, LockOptions, Maker, makerOf, StackLock, tempFileName } from "./stackLock";
import type { Weights } from "../../src/shared/weights";

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
    const writeItOut = `write it out as { blue: <weight>, green: <weight> } for ${service} in the stack file`;
    const doc = YAML.parseDocument(text);
    if (doc.errors.length > 0) {
        throw new TrafficNotEditableError(`the stack file is not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
    }
    const traffic = doc.getIn(["config", SERVICES_KEY, service, "traffic"], true);
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

export interface StackFileEdit {
    readonly before: string;
    readonly after: string;
}

/**
 * Edits the stack file under its lock: takes the lock, reads the file, applies `edit` to what it
 * read, and replaces the file atomically, all before it lets go. A symlinked stack file stays a
 * symlink (its target is replaced and locked); a read-only file is refused before anything happens.
 */
export async function editStackFile(file: string, command: string, edit: (text: string) => string, options: LockOptions = {}): Promise<StackFileEdit> {
    const files = options.fs ?? fs;
    const target = resolveTarget(files, file);
    assertWritable(files, file, target);
    const lock = await StackLock.acquire(target, command, options);
    try {
        const before = readText(files, target);
        const after = edit(before);
        if (after !== before) {
            lock.assertHeld();
            writeFileAtomic(target, after, files, makerOf(options));
        }
        return { before, after };
    } finally {
        lock.release();
    }
}

/** The file a path names, through any symlinks: the one to lock and replace. */
function resolveTarget(files: FileSystem, file: string): string {
    try {
        return files.realpathSync(file);
    } catch (err) {
        throw fsFailure(`cannot resolve ${file}`, err);
    }
}

function readText(files: FileSystem, file: string): string {
    try {
        return files.readFileSync(file, "utf8");
    } catch (err) {
        throw fsFailure(`cannot read ${file}`, err);
    }
}

/**
 * Refuses a file nobody may write (no write bit, as `chmod a-w` leaves it; checked by mode because
 * root may write anything) or one this user may not write, and a folder where the replacement
 * cannot be created.
 */
function assertWritable(files: FileSystem, file: string, target: string): void {
    const shown = target === file ? file : `${file} (a symlink to ${target})`;
    let mode: number;
    try {
        mode = files.statSync(target).mode & 0o777;
    } catch (err) {
        throw fsFailure(`cannot read ${shown}`, err);
    }
    if ((mode & 0o222) === 0) {
        throw new KnownFailure(`${shown} is read-only (mode ${mode.toString(8).padStart(4, "0")}); make it writable (chmod u+w) if the flip should edit it`);
    }
    for (const [what, where] of [
        ["the stack file", target],
        ["its folder", path.dirname(target)],
    ] as const) {
        try {
            files.accessSync(where, fs.constants.W_OK);
        } catch (err) {
            throw fsFailure(`cannot edit ${shown}: ${what} ${where} is not writable`, err);
        }
    }
}

/** The weights of `service` as `text` holds them (0 for a colour it does not name). */
export function trafficIn(text: string, service: string): Weights {
    const services = stackValuesOf(text, "the stack file")[SERVICES_KEY] as Record<string, { traffic?: Partial<Weights> }> | undefined;
    const traffic = services?.[service]?.traffic ?? {};
    return { blue: Number(traffic.blue ?? 0), green: Number(traffic.green ?? 0) };
}

/**
 * Replaces `file` with `text` so that a reader sees either the old or the new file, never half of
 * one: a temporary file in the same folder, given the old file's mode and owner, renamed over it.
 * A symlink is written through: its target is replaced, the link stays.
 */
export function writeFileAtomic(file: string, text: string, files: FileSystem = fs, me: Maker = makerOf({})): void {
    const target = files.existsSync(file) ? resolveTarget(files, file) : file;
    const dir = path.dirname(target);
    let old: fs.Stats | undefined;
    try {
        old = files.existsSync(target) ? files.statSync(target) : undefined;
    } catch (err) {
        throw fsFailure(`cannot read ${target}`, err);
    }
    const temp = tempFileName(target, me);
    let fd: number;
    try {
        fd = files.openSync(temp, "wx", 0o600);
    } catch (err) {
        throw fsFailure(`cannot create a temporary file in ${dir}`, err);
    }
    let step = `cannot write ${temp}`;
    try {
        try {
            const bytes = Buffer.from(text);
            for (let written = 0; written < bytes.length; ) {
                written += files.writeSync(fd, bytes, written, bytes.length - written);
            }
            // Explicit, because the mode given to open() is narrowed by the umask.
            files.fchmodSync(fd, old ? old.mode & 0o7777 : 0o644);
            const made = files.fstatSync(fd);
            if (old && (old.uid !== made.uid || old.gid !== made.gid)) {
                step = `cannot keep the owner of ${target} (uid ${old.uid}, gid ${old.gid}) on its replacement; run the flip as that user`;
                files.fchownSync(fd, old.uid, old.gid);
            }
            step = `cannot write ${temp}`;
            files.fsyncSync(fd);
        } finally {
            files.closeSync(fd);
        }
        step = `cannot replace ${target}`;
        files.renameSync(temp, target);
    } catch (err) {
        try {
            files.rmSync(temp, { force: true });
        } catch {
            // swept by the next flip that holds the lock (its name carries this host and pid)
        }
        throw fsFailure(step, err);
    }
}
