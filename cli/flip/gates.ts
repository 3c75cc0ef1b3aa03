// The gates a flip passes before every step and while it bakes: the config gate (the target colour
// can take traffic at all), the health gate (the same check the program's HealthGate makes) and,
// when the service names CloudWatch alarms, the alarm gate.
import { ConsulHttpClient } from "../../src/consul/httpClient";
import { checkTrafficHealth, healthRequest } from "../../src/mesh/colourHealth";
import { Colour, ServiceConfig } from "../../src/config";
import { Weights } from "./steps";

export interface GateOutcome {
    readonly gate: "config" | "health" | "alarms";
    readonly ok: boolean;
    readonly detail: string;
}

/** Reads CloudWatch alarm states; the real one is cloudWatchAlarms(), tests pass a stand-in. */
export interface AlarmReader {
    /** State by alarm name (OK, ALARM, INSUFFICIENT_DATA); a name CloudWatch does not know is absent. */
    states(names: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

export type HealthSource = Pick<ConsulHttpClient, "passingInstances">;

/** The target colour must exist to take traffic: an image and at least one task. */
export function configGate(service: ServiceConfig, target: Colour): GateOutcome {
    const colour = service[target];
    const path = `bluegreen:services.${service.name}.${target}`;
    if (!colour.image) {
        return { gate: "config", ok: false, detail: `${service.name}/${target} has no image; set ${path}.image (and deploy it) before sending it traffic` };
    }
    if (colour.count < 1) {
        return { gate: "config", ok: false, detail: `${service.name}/${target} has count 0; set ${path}.count above 0 (and deploy it) before sending it traffic` };
    }
    return { gate: "config", ok: true, detail: `${service.name}/${target} runs ${colour.count} task${colour.count === 1 ? "" : "s"} of ${colour.image}` };
}

/** The program's health check for `weights`; skipped (and said so) when gate.skip is set. */
export async function healthGate(service: ServiceConfig, weights: Weights, consul: HealthSource | undefined): Promise<GateOutcome> {
    if (service.gate.skip) {
        return { gate: "health", ok: true, detail: `SKIPPED: bluegreen:services.${service.name}.gate.skip is true; no health check is made` };
    }
    if (!consul) {
        return {
            gate: "health",
            ok: false,
            detail: `Consul's address is unknown; pass --consul-address or set CONSUL_HTTP_ADDR (or bluegreen:consul.apiAddress)`,
        };
    }
    try {
        const result = await checkTrafficHealth(consul, healthRequest(service, weights));
        return { gate: "health", ok: result.ok, detail: result.message };
    } catch (err) {
        return { gate: "health", ok: false, detail: `could not ask Consul about ${service.name}: ${(err as Error).message}` };
    }
}

/** Every alarm named in gate.alarms must be OK; undefined when the service names none. */
export async function alarmGate(service: ServiceConfig, alarms: AlarmReader | undefined): Promise<GateOutcome | undefined> {
    const names = service.gate.alarms;
    if (names.length === 0) {
        return undefined;
    }
    if (!alarms) {
        return { gate: "alarms", ok: false, detail: `no CloudWatch client to read ${names.join(", ")}` };
    }
    let states: ReadonlyMap<string, string>;
    try {
        states = await alarms.states(names);
    } catch (err) {
        return { gate: "alarms", ok: false, detail: `could not read CloudWatch alarms ${names.join(", ")}: ${(err as Error).message}` };
    }
    const bad = names.filter((n) => states.get(n) !== "OK").map((n) => `${n} is ${states.get(n) ?? "not found"}`);
    return bad.length > 0
        ? { gate: "alarms", ok: false, detail: `alarm${bad.length === 1 ? "" : "s"} not OK: ${bad.join(", ")}` }
        : { gate: "alarms", ok: true, detail: `${names.length} alarm${names.length === 1 ? "" : "s"} OK` };
}

/** The gates that watch a running split: health and alarms. */
export async function liveGates(service: ServiceConfig, weights: Weights, consul: HealthSource | undefined, alarms: AlarmReader | undefined): Promise<GateOutcome[]> {
    const outcomes = [await healthGate(service, weights, consul)];
    const alarm = await alarmGate(service, alarms);
    return alarm ? [...outcomes, alarm] : outcomes;
}

export function formatGates(outcomes: readonly GateOutcome[]): string {
    return outcomes.map((o) => `${o.gate} ${o.ok ? "ok" : "FAILED"} (${o.detail})`).join("; ");
}
