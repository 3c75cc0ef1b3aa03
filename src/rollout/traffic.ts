// What the engine writes for one service at one split, beyond its weights: for a sticky service
// (`rollout.sticky`) its two virtual splitters and its splitter as src/mesh/render/sticky.ts builds
// them, pinned while the rollout runs and at rest once it ended. Pure: the decision (decide.ts)
// and the write path (handler.ts) both ask here whether Consul holds what a state wants, and in
// which order to write it.
import { trafficEntries, virtualSplitterEntries, ConsulEntryBody } from "../mesh/render/sticky";
import { stickyServiceName } from "../shared/meshNames";
import { COLOURS } from "../config/types";
import type { Weights } from "./contract";

export const SPLITTER_KIND = "service-splitter";

/** The splitters the engine writes for a sticky service: its two virtual services', then its own. */
export function stickyEntryNames(service: string): string[] {
    return [...COLOURS.map((colour) => stickyServiceName(service, colour)), service];
}

const SPLIT_FIELDS = ["Weight", "Service", "ServiceSubset", "Namespace", "Partition", "RequestHeaders", "ResponseHeaders"] as const;

const isEmpty = (v: unknown) => v === undefined || v === null || v === "" || (typeof v === "object" && Object.values(v as object).every(isEmpty));

/**
 * The part of a splitter entry that decides where requests go and what they carry: kind, name, and
 * each split's fields (Consul leaves out empty ones when it answers). Indexes and Meta are not
 * routing; anything else on a split is, so an entry someone changed by hand counts as different.
 */
function routing(entry: ConsulEntryBody): string {
    const splits = Array.isArray(entry.Splits) ? (entry.Splits as Record<string, unknown>[]) : [];
    const canonical = splits.map((split) => Object.fromEntries(SPLIT_FIELDS.filter((f) => !isEmpty(split[f])).map((f) => [f, split[f]])));
    return JSON.stringify({ Kind: entry.Kind, Name: entry.Name, Splits: canonical });
}

/** Consul already holds `wanted`: the whole body (splits, subsets, cookie header), not only the weights. */
export function sameEntry(live: ConsulEntryBody | undefined, wanted: ConsulEntryBody): boolean {
    return live !== undefined && routing(live) === routing(wanted);
}

/** Every entry a sticky service has at this split is as `trafficEntries` wants it. */
export function stickyEntriesAsWanted(live: Readonly<Record<string, ConsulEntryBody | undefined>>, service: string, weights: Weights, rolloutRunning: boolean): boolean {
    return trafficEntries(service, weights, true, rolloutRunning).every((entry) => sameEntry(live[String(entry.Name)], entry));
}

/**
 * The entries to write, in order, to bring a sticky service from the split it serves (`live`) to
 * `weights`: trafficEntries' order (virtual splitters, then the splitter), except that a colour
 * that gains weight is pinned only once the splitter gives it weight, in a last write of its
 * virtual splitter. So at every moment a pinned colour has weight in the live split: a cookie never
 * leads to a colour the split does not serve yet, nor to one it has left. Ending a rollout unpins
 * first, then writes the splitter without the cookie.
 */
export function stickyWriteSequence(service: string, live: Weights | undefined, weights: Weights, rolloutRunning: boolean): ConsulEntryBody[] {
    const wanted = trafficEntries(service, weights, true, rolloutRunning);
    const splitter = wanted[wanted.length - 1];
    const final = wanted.slice(0, -1);
    // Pinned before the splitter moves: only the colours the live split and the new one both weight.
    const both: Weights = { blue: Math.min(live?.blue ?? 0, weights.blue), green: Math.min(live?.green ?? 0, weights.green) };
    const before = virtualSplitterEntries(service, both, rolloutRunning);
    const after = final.filter((entry, i) => routing(entry) !== routing(before[i]));
    return [...before, splitter, ...after];
}
