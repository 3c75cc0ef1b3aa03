// Signals to the flip client (INT, TERM, HUP) detach it: it stops waiting, says what the rollout is
// doing and how to follow it, and exits 128+n. A signal never reaches the rollout, which runs in the
// engine; the only thing the client holds, the stack file's lock, is held in synchronous code that
// a signal handler cannot interrupt. Through `npm run flip`, npm 10/11 forwards INT and TERM to the
// script (the script `exec`s node so no shell sits in between and swallows them) but not HUP: npm
// dies of it and the client is re-parented, which the client notices and treats as a HUP.
import { Clock } from "./clientErrors";

const DETACH_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type DetachSignal = (typeof DETACH_SIGNALS)[number];
const SIGNAL_NUMBERS: Record<DetachSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
const PARENT_CHECK_MS = 500;

export interface SignalWatch {
    readonly clock: Clock;
    /** Aborted on the first signal. */
    readonly abort: AbortSignal;
    /** The signal that detached the client, if any. */
    received(): DetachSignal | undefined;
    exitCode(): number;
    stop(): void;
}

/**
 * Listens for the detach signals (and the death of the parent that started the client) until
 * stop(). The first detaches; a second exits at once, since nothing is left to clean up.
 */
export function watchSignals(onSecond: (signal: DetachSignal) => void = (s) => process.exit(128 + SIGNAL_NUMBERS[s])): SignalWatch {
    let received: DetachSignal | undefined;
    const abort = new AbortController();
    const wakers = new Set<() => void>();
    const handler = (signal: DetachSignal) => {
        if (received) {
            onSecond(signal);
            return;
        }
        received = signal;
        abort.abort();
        wakers.forEach((wake) => wake());
    };
    const listeners = DETACH_SIGNALS.map((signal) => [signal, () => handler(signal)] as const);
    listeners.forEach(([signal, listener]) => process.on(signal, listener));
    const parent = process.ppid;
    const parentCheck = setInterval(() => {
        if (process.ppid !== parent && !received) {
            handler("SIGHUP");
        }
    }, PARENT_CHECK_MS);
    parentCheck.unref();
    return {
        clock: {
            now: () => Date.now(),
            detached: () => received !== undefined,
            sleep: (ms) =>
                new Promise<void>((resolve) => {
                    const done = () => {
                        clearTimeout(timer);
                        wakers.delete(done);
                        resolve();
                    };
                    const timer = setTimeout(done, ms);
                    wakers.add(done);
                    if (received) {
                        done();
                    }
                }),
        },
        abort: abort.signal,
        received: () => received,
        exitCode: () => (received ? 128 + SIGNAL_NUMBERS[received] : 0),
        stop() {
            clearInterval(parentCheck);
            listeners.forEach(([signal, listener]) => process.off(signal, listener));
        },
    };
}
