// `npm run bench:release`: how long `pulumi up`'s Release holds the stack, on the REAL clock. The
// Release's dynamic provider (ReleaseProvider.update, as the dynamic provider host calls it) starts
// a rollout through the AWS SDK against a loopback Step Functions (tests/support/fakeAws.ts, NOT
// AWS) whose executions run the real state machine definition on the ASL driver
// (tests/support/aslDriver.ts, NOT Step Functions) with real waits, the tick being the engine's
// own handler against the loopback Consul (tests/support/fakeConsul.ts, NOT Consul).
//
// Each run is two `pulumi up`s: orders, then, while orders' rollout runs, inventory (rollouts of
// disjoint services run side by side). It reports each hold (update() called to returned) beside the
// rollouts' own time (the first update called to both promoted): the hold is the StartExecution call
// plus the wait for the first state, which is read at once and then after each of
// FIRST_STATE_POLLS_MS (src/rollout/release.ts); the rollouts' steps and bakes run after it. It says
// nothing about AWS's or a Lambda's latency.
//
//   npm run bench:release [-- --runs 5 --bake 3]
import { performance } from "perf_hooks";
import { parseArgs } from "util";
import { rolloutConsulApi } from "../../src/rollout/consulApi";
import { RolloutState, rolloutStateKey, Weights } from "../../src/rollout/contract";
import { EngineDeps, EngineEvent, handleEvent } from "../../src/rollout/handler";
import { desiredServices } from "../../src/rollout/releaseRules";
import { FIRST_STATE_POLLS_MS, ReleaseOutputs, ReleaseProvider } from "../../src/rollout/release";
import { rolloutStateMachine } from "../../src/rollout/render/stateMachine";
import { parseStackValues, readStackFile } from "../../src/offline/stackFile";
import type { ConsulApiAccess } from "../../src/shared/consulApi";
import { AslDefinition, runExecution } from "../support/aslDriver";
import { startFakeAws } from "../support/fakeAws";
import { startConsulAtRest } from "../support/flipClient";
import { ROOT } from "../support/harness";

const ALL_BLUE: Weights = { blue: 100, green: 0 };
const ALL_GREEN: Weights = { blue: 0, green: 100 };

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, bake: { type: "string", default: "3" } } });
    const runs = Number(values.runs);
    const bakeSeconds = Number(values.bake);
    const consul = await startConsulAtRest();
    const api = rolloutConsulApi({ address: consul.address, scheme: "http", token: "management-token" });
    const deps: EngineDeps = { consul: api, alarms: async () => ({}), now: () => new Date() };
    const definition = rolloutStateMachine("arn:aws:lambda:eu-west-1:123456789012:function:prod-rollout-tick", "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-rollout") as unknown as AslDefinition;
    const executions: Promise<unknown>[] = [];
    // Real time: a Wait state sleeps its seconds; the retries' backoff is not waited (no retry happens here).
    const clock = { now: () => new Date(), advance: () => undefined };
    const aws = await startFakeAws({
        onStartExecution: (name, input) => {
            // Answered at once, as StartExecution is: the execution runs on without the caller.
            executions.push(
                runExecution(definition, name, input, {
                    clock,
                    invoke: (_fn, payload) => handleEvent(payload as EngineEvent, deps),
                    onState: async (state, data) => {
                        if (state === "Wait") {
                            const seconds = (data as { tick: { waitSeconds: number } }).tick.waitSeconds;
                            await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
                        }
                    },
                }),
            );
        },
    });
    const provider = new ReleaseProvider();
    const config: Record<string, string> = { "aws:region": "eu-west-1", "aws:accessKey": "AKIABENCH0000000000", "aws:secretKey": "bench", "aws:endpoints": JSON.stringify([{ sfn: aws.endpoint }]) };
    await provider.configure({ config: { get: (k) => config[k], require: (k) => config[k] } });
    // Plain HTTP to the loopback Consul: the client's `scheme`, which the program never sets.
    const access = { address: consul.address, scheme: "http", token: "management-token", caCertPem: "", tlsServerName: "" } as ConsulApiAccess;
    const base = desiredServices(parseStackValues("prod", readStackFile("prod", ROOT)).services).map((s) => ({ ...s, strategy: { ...s.strategy, steps: [10, 50], bakeSeconds, checkIntervalSeconds: 1 } }));
    const rows: { holdMs: number; besideMs: number; rolloutMs: number }[] = [];
    let current = base;
    /** One `pulumi up` of `service` to `to`: the provider's update, timed; throws unless it started a rollout. */
    const up = async (run: number, service: string, to: Weights) => {
        const next = current.map((s) => (s.service === service ? { ...s, to } : s));
        const olds: ReleaseOutputs = { stack: "prod", services: current, lastRolloutId: "", lastResult: "no traffic change", messages: [], appliedAt: "" };
        const start = performance.now();
        const { outs } = await provider.update("prod-release", olds, { stack: "prod", services: next, stateMachineArn: "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-rollout", region: "eu-west-1", consul: access });
        const holdMs = performance.now() - start;
        if ((outs as ReleaseOutputs).lastResult !== "started") {
            throw new Error(`run ${run + 1}: the Release did not start a rollout of ${service}: ${JSON.stringify(outs)}`);
        }
        current = next;
        return { start, holdMs, rolloutId: (outs as ReleaseOutputs).lastRolloutId };
    };
    try {
        for (let run = 0; run < runs; run++) {
            const to = run % 2 === 0 ? ALL_GREEN : ALL_BLUE;
            const orders = await up(run, "orders", to);
            // The stack is free at once: a second `pulumi up` starts inventory's rollout beside orders'.
            const inventory = await up(run, "inventory", to);
            await Promise.all(executions.splice(0));
            const rolloutMs = performance.now() - orders.start;
            for (const id of [orders.rolloutId, inventory.rolloutId]) {
                const phase = (await api.getJson<RolloutState>(rolloutStateKey(id)))?.value.phase;
                if (phase !== "promoted") {
                    throw new Error(`run ${run + 1}: rollout ${id} ended ${phase}, not promoted`);
                }
            }
            rows.push({ holdMs: orders.holdMs, besideMs: inventory.holdMs, rolloutMs });
            process.stdout.write(
                `run ${run + 1}: orders to ${to.green === 100 ? "green" : "blue"}: update() held ${(orders.holdMs / 1000).toFixed(2)} s; ` +
                    `inventory's, while orders' rollout ran, ${(inventory.holdMs / 1000).toFixed(2)} s; both rollouts promoted ${(rolloutMs / 1000).toFixed(2)} s after the first update began\n`,
            );
        }
    } finally {
        await aws.close();
        await consul.close();
    }
    const stats = (values: number[]) => {
        const sorted = [...values].sort((x, y) => x - y);
        return `median ${(sorted[Math.floor(sorted.length / 2)] / 1000).toFixed(2)} s, max ${(sorted[sorted.length - 1] / 1000).toFixed(2)} s`;
    };
    process.stdout.write(
        `\nRelease hold over ${rows.length} runs: ${stats(rows.map((r) => r.holdMs))}; beside another service's running rollout: ${stats(rows.map((r) => r.besideMs))} ` +
            `(the first state is looked for at once, then after ${FIRST_STATE_POLLS_MS.map((ms) => ms / 1000).join(", ")} s, and every ${FIRST_STATE_POLLS_MS[FIRST_STATE_POLLS_MS.length - 1] / 1000} s after); ` +
            `the two rollouts side by side (steps 10%, 50%, 100%, ${bakeSeconds} s bake each, 1 s checks): ${stats(rows.map((r) => r.rolloutMs))}.\n`,
    );
}

main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
});
