// What `flip rollback` asks the engine for, decided before anything is written: each service's
// target split, whether its destination has the passing instances it needs, the order the engine
// writes them in, and the request itself. Pure: the reads are done by rollback.ts.
import type { ServiceConfig } from "../../src/config";
import { HistoryRecord, isSettled, RollbackRequest, RolloutState, ServiceReleaseSpec } from "../../src/rollout/contract";
import { dependencyOrder } from "../../src/rollout/steps";
import { COLOURS, Colour, formatWeights, sameWeights, Weights } from "../../src/shared/weights";
import { weightsFor } from "./steps";

/** What the client read of one service before it decides. */
export interface ServiceView {
    readonly config: ServiceConfig;
    /** Its live split (undefined: no splitter). */
    readonly live: Weights | undefined;
    /** The rollout it belongs to (the claims document), when any. */
    readonly rollout: RolloutState | undefined;
}

export interface RollbackTarget {
    readonly service: string;
    readonly from: Weights | undefined;
    readonly to: Weights;
    /** Where the target came from, for the output: "--to blue", "the split before rollout X promoted at T". */
    readonly why: string;
    /** The running rollout the rollback aborts for this service, when any. */
    readonly aborts?: string;
}

const time = (iso: string) => iso.replace(/\.\d{3}Z$/, "Z");

/** The rollout a service belongs to, when it is still running (or has splitter writes pending). */
function runningRollout(view: ServiceView): RolloutState | undefined {
    return view.rollout && !isSettled(view.rollout) ? view.rollout : undefined;
}

/**
 * The newest release (not a rollback) that promoted and moved `service`, from history and from the
 * rollout the service belongs to (whose record may not be written yet), by start time.
 */
function latestPromoted(service: string, history: readonly HistoryRecord[], own: RolloutState | undefined): { readonly rolloutId: string; readonly from: Weights; readonly endedAt: string } | undefined {
    const candidates = [
        ...history.map((r) => ({ rolloutId: r.rolloutId, kind: r.kind, result: r.result, from: r.from, startedAt: r.startedAt, endedAt: r.endedAt })),
        ...(own && isSettled(own) ? [{ rolloutId: own.rolloutId, kind: own.kind, result: own.phase, from: own.from, startedAt: own.startedAt, endedAt: own.endedAt ?? own.updatedAt }] : []),
    ].filter((r) => r.result === "promoted" && r.kind !== "rollback" && r.from[service] !== undefined);
    const newest = candidates.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0)).pop();
    return newest && { rolloutId: newest.rolloutId, from: newest.from[service], endedAt: newest.endedAt };
}

/**
 * Each service's target: `--to` (all traffic to that colour); else, while its rollout runs, the
 * split that rollout started from (the abort restores it), or what an unfinished rollback asked
 * for; else the split before its latest promoted release. Returns the targets, or every refusal at once (no such split; Consul already
 * runs it and no rollout of it runs).
 */
export function rollbackTargets(views: readonly ServiceView[], history: readonly HistoryRecord[], to: Colour | undefined): { readonly targets: RollbackTarget[]; readonly refusals: string[] } {
    const targets: RollbackTarget[] = [];
    const refusals: string[] = [];
    for (const view of views) {
        const service = view.config.name;
        const running = runningRollout(view);
        let target: RollbackTarget;
        if (to !== undefined) {
            target = { service, from: view.live, to: weightsFor(to, 100), why: `--to ${to}` };
        } else if (running?.kind === "rollback") {
            // An operator's rollback left unfinished (its writes pending): going on with it, never undoing it.
            const asked = running.spec.services.find((s) => s.service === service)?.to;
            if (asked === undefined) {
                refusals.push(`${service}: the unfinished rollback ${running.rolloutId} does not name it; name the colour with --to blue or --to green`);
                continue;
            }
            target = { service, from: view.live, to: asked, why: `what the unfinished rollback ${running.rolloutId} asked for` };
        } else if (running) {
            const from = running.from[service];
            if (from === undefined) {
                refusals.push(`${service}: its running rollout ${running.rolloutId} has no starting split for it; name the colour with --to blue or --to green`);
                continue;
            }
            target = { service, from: view.live, to: from, why: `the split its running rollout ${running.rolloutId} started from` };
        } else {
            const promoted = latestPromoted(service, history, view.rollout);
            if (promoted === undefined) {
                refusals.push(`${service}: no promoted release of it is recorded (history), so there is no split to go back to; name the colour with --to blue or --to green`);
                continue;
            }
            target = { service, from: view.live, to: promoted.from, why: `the split before rollout ${promoted.rolloutId} promoted at ${time(promoted.endedAt)}` };
        }
        if (running) {
            target = { ...target, aborts: running.rolloutId };
        } else if (sameWeights(view.live, target.to)) {
            refusals.push(`${service} already runs ${formatWeights(target.to)} (${target.why}); nothing to roll back${stackFileAdvice(view.config, target.to)}`);
            continue;
        }
        targets.push(target);
    }
    return { targets, refusals };
}

/** When the stack file asks for another split than what runs (a rollback that was not written back): how to make git say what runs. */
function stackFileAdvice(config: ServiceConfig, runs: Weights): string {
    if (sameWeights(config.traffic, runs)) {
        return "";
    }
    const colour = COLOURS.find((c) => runs[c] === 100);
    const how = colour ? `npm run flip -- set --service ${config.name} --to ${colour} (with --stack)` : `set its traffic to { blue: ${runs.blue}, green: ${runs.green} }`;
    return `; but the stack file still asks for ${formatWeights(config.traffic)}: ${how}, and commit it`;
}

/** The passing instances each colour of a service needs while it has weight: its latest release's gate, else the stack file's. */
export function requiredInstances(view: ServiceView): Readonly<Record<Colour, number>> {
    const spec = view.rollout && view.rollout.kind !== "rollback" ? view.rollout.spec.services.find((s) => s.service === view.config.name) : undefined;
    if (spec) {
        return spec.gate.required;
    }
    const gate = view.config.gate;
    return Object.fromEntries(COLOURS.map((c) => [c, gate.minHealthy ?? view.config[c].count])) as Record<Colour, number>;
}

/** A colour the target gives weight to that lacks its required passing instances. */
export interface Shortfall {
    readonly service: string;
    readonly colour: Colour;
    readonly passing: number;
    readonly required: number;
}

/** The colours each target gives weight to, to be counted. */
export function coloursToCheck(targets: readonly RollbackTarget[]): { service: string; colour: Colour }[] {
    return targets.flatMap((t) => COLOURS.filter((c) => t.to[c] > 0).map((colour) => ({ service: t.service, colour })));
}

export function shortfalls(checked: readonly { service: string; colour: Colour; passing: number }[], required: (service: string) => Readonly<Record<Colour, number>>): Shortfall[] {
    return checked.map((c) => ({ ...c, required: required(c.service)[c.colour] })).filter((c) => c.passing < c.required);
}

export function describeShortfall(s: Shortfall): string {
    return `${s.service}/${s.colour} has ${s.passing} passing instance${s.passing === 1 ? "" : "s"} of ${s.required} required`;
}

/** The risk `--force` takes, as the request's `forced` field and the output say it. */
export function forcedRisk(list: readonly Shortfall[]): string {
    return `${list.map(describeShortfall).join("; ")}: traffic moves to a colour that may not be able to serve it`;
}

/**
 * The targets callers first (the reverse of the stack file's dependency order, callees first):
 * a caller leaves the colour before what it calls does, as a release's restore writes them.
 */
export function callersFirst(targets: readonly RollbackTarget[], stackServices: readonly ServiceConfig[]): RollbackTarget[] {
    const names = new Set(stackServices.map((s) => s.name));
    const specs = stackServices.map(
        (s): ServiceReleaseSpec => ({
            service: s.name,
            to: s.traffic,
            upstreams: s.upstreams.map((u) => u.service).filter((u) => names.has(u)),
            gate: { required: { blue: 0, green: 0 }, alarms: [], failureThreshold: 1, skipHealth: true },
        }),
    );
    const order = dependencyOrder(specs)
        .map((s) => s.service)
        .reverse();
    return [...targets].sort((a, b) => order.indexOf(a.service) - order.indexOf(b.service));
}

export function rollbackRequest(
    id: string,
    stack: string,
    targets: readonly RollbackTarget[],
    issuedBy: string,
    issuedAt: string,
    reason: string | undefined,
    forced: string | undefined,
): RollbackRequest {
    return {
        id,
        stack,
        services: targets.map((t) => ({ service: t.service, to: t.to })),
        issuedBy,
        issuedAt,
        ...(reason ? { reason } : {}),
        ...(forced ? { forced } : {}),
    };
}
