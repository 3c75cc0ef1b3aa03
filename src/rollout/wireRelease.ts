// Registers the stack's one Release resource (index.ts calls this with the engine's state machine;
// the traffic-side program of the tests and the benchmark with a stand-in ARN), so that what the
// blast-radius tests check is what the program registers; and, during `pulumi up` (never in preview,
// which starts nothing), prints what the Release did on it, warns about each service it leaves where
// the platform put it (rolled back while the stack file still asks for the other split: Pulumi sees
// no change there, so only the warning says so), and, only when BLUEGREEN_ROLLOUT_FOLLOW asks,
// follows the rollout it started (follow.ts), in this program's process, which is the one that sees
// the first Ctrl-C.
import * as pulumi from "@pulumi/pulumi";
import type { ConsulApiAccess } from "../shared/consulApi";
import type { ServiceConfig } from "../config/types";
import { rolloutConsulApi } from "./consulApi";
import { DEFAULT_FOLLOW_MS, FollowMode, followMode, followRollout, reportFollow, watchHint } from "./follow";
import { heldBackServices, Release, ReleaseResult } from "./release";
import { DesiredService, desiredServices } from "./releaseRules";
import { RELEASE_RESOURCE_NAME } from "./names";

export function createRelease(
    services: readonly ServiceConfig[],
    api: ConsulApiAccess<pulumi.Input<string>>,
    engine: { readonly stateMachineArn: pulumi.Input<string>; readonly region: string },
    dependsOn: readonly pulumi.Resource[],
    env: Readonly<Record<string, string | undefined>> = process.env,
): Release {
    const stack = pulumi.getStack();
    // Read before any resource: a bad value stops the program before it changes anything.
    const mode = followMode(env.BLUEGREEN_ROLLOUT_FOLLOW);
    const desired = desiredServices(services);
    const release = new Release(
        RELEASE_RESOURCE_NAME,
        {
            stack,
            services: desired,
            stateMachineArn: engine.stateMachineArn,
            region: engine.region,
            consul: api,
            ...(env.BLUEGREEN_ROLLOUT_RETRY === "1" ? { retry: true as const } : {}),
        },
        { dependsOn: [...dependsOn] },
    );
    const startedAt = Date.now();
    pulumi.all([release.lastRolloutId, release.lastResult, release.messages, release.appliedAt, api]).apply(async ([rolloutId, result, messages, appliedAt, consul]) => {
        // A preview starts nothing (and may lack what reaching Consul needs); a Release whose update
        // did not run in this process (no change) keeps the outputs of an earlier `pulumi up`.
        if (pulumi.runtime.isDryRun()) {
            return;
        }
        const ranNow = appliedAt !== undefined && Date.parse(appliedAt) >= startedAt;
        const update = ranNow ? { rolloutId, result, messages: messages ?? [] } : undefined;
        await afterUpdate(release, stack, desired, update, mode, consul);
    });
    return release;
}

type ConsulAccess = { address: string; caCertPem: string; token: string; tlsServerName: string };

/** Warns on the Release about each service this `pulumi up` leaves where the platform put it (heldBackServices). */
async function warnHeldBack(release: Release, desired: readonly DesiredService[], consul: ConsulAccess): Promise<void> {
    try {
        for (const held of await heldBackServices(rolloutConsulApi(consul), desired, Date.now())) {
            await pulumi.log.warn(held.message, release);
        }
    } catch (err) {
        await pulumi.log.warn(`could not check Consul for services rolled back while the stack file asks for another split: ${(err as Error).message}`, release);
    }
}

/** Prints what the update did on the Release (when it ran now) and the held-back services, then follows its rollout as `mode` says. */
async function afterUpdate(
    release: Release,
    stack: string,
    desired: readonly DesiredService[],
    update: { rolloutId: string; result: ReleaseResult; messages: readonly string[] } | undefined,
    mode: FollowMode,
    consul: ConsulAccess,
): Promise<void> {
    const log = (line: string) => pulumi.log.info(line, release);
    update?.messages.forEach(log);
    await warnHeldBack(release, desired, consul);
    if (update === undefined || update.result === "no traffic change" || update.rolloutId === "") {
        return;
    }
    if (!mode.follow) {
        log(`pulumi up does not follow rollout ${update.rolloutId}: it goes on in the engine, the stack is free; ${watchHint(stack, update.rolloutId)} (BLUEGREEN_ROLLOUT_FOLLOW=1 follows here, for at most ${DEFAULT_FOLLOW_MS / 60_000} minutes)`);
        return;
    }
    log(`following rollout ${update.rolloutId} for at most ${Math.round((mode.limitMs ?? DEFAULT_FOLLOW_MS) / 1000)}s (BLUEGREEN_ROLLOUT_FOLLOW), holding the stack meanwhile; the first Ctrl-C stops following (the rollout goes on)`);
    const stop = new AbortController();
    const wakers = new Set<() => void>();
    const onInterrupt = () => {
        stop.abort();
        wakers.forEach((wake) => wake());
    };
    process.once("SIGINT", onInterrupt);
    try {
        const result = await followRollout(
            update.rolloutId,
            {
                consul: rolloutConsulApi(consul),
                sleep: (ms) =>
                    new Promise<void>((resolve) => {
                        const done = () => {
                            clearTimeout(timer);
                            wakers.delete(done);
                            resolve();
                        };
                        const timer = setTimeout(done, ms);
                        wakers.add(done);
                    }),
                now: () => Date.now(),
                log,
                stop: stop.signal,
                pollMs: 5000,
            },
            mode.limitMs ?? DEFAULT_FOLLOW_MS,
        );
        const { line, failed } = reportFollow(update.rolloutId, stack, result, mode.limitMs ?? DEFAULT_FOLLOW_MS);
        // An error logged on the Release fails `pulumi up` with it, once the program ends.
        await (failed ? pulumi.log.error(line, release) : log(line));
    } catch (err) {
        await pulumi.log.error(`following rollout ${update.rolloutId} failed: ${(err as Error).message}; it goes on in the engine: ${watchHint(stack, update.rolloutId)}`, release);
    } finally {
        process.removeListener("SIGINT", onInterrupt);
    }
}
