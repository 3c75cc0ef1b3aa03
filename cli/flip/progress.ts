// What the flip shows while it runs. On a terminal, the waiting line (time left, last gate result)
// is redrawn in place and events scroll above it; elsewhere (CI logs, pipes) every event and every
// gate poll is one line of its own.
export interface Progress {
    /** Something happened: a step, a gate result, an apply, a rollback. Always kept. */
    event(line: string): void;
    /** The state while waiting; replaced by the next status on a terminal. */
    status(line: string): void;
    /** Clears the status line; call before exiting. */
    done(): void;
}

export interface Output {
    write(text: string): unknown;
    readonly isTTY?: boolean;
}

export function progress(out: Output, prefix: string): Progress {
    let statusShown = false;
    const clear = () => {
        if (statusShown) {
            out.write("\r\x1b[2K");
            statusShown = false;
        }
    };
    const stamp = () => new Date().toISOString().slice(11, 19);
    if (!out.isTTY) {
        return {
            event: (line) => out.write(`${stamp()} ${prefix} ${line}\n`),
            status: (line) => out.write(`${stamp()} ${prefix} ${line}\n`),
            done: () => undefined,
        };
    }
    return {
        event(line) {
            clear();
            out.write(`${stamp()} ${prefix} ${line}\n`);
        },
        status(line) {
            clear();
            out.write(`${stamp()} ${prefix} ${line}`);
            statusShown = true;
        },
        done: clear,
    };
}
