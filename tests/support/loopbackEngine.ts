// A loopback stand-in for a deployed stack, for trying the flip client by hand and for the runbooks'
// example output: the fake Consul (fakeConsul.ts) on 127.0.0.1 with the example prod services, and
// the engine's handler (engineDriver.ts) ticking in REAL time. It is not the deployed engine (no Step
// Functions, no Lambda); it shows what the client prints against Consul's documented API.
//
//   node -r ./cli/register.js tests/support/loopbackEngine.ts [--services inventory,orders]
//       [--steps 10,50] [--bake 20] [--interval 5] [--fail-after 12] [--idle]
//
// Prints `CONSUL_HTTP_ADDR=http://127.0.0.1:<port>` and `CONSUL_HTTP_TOKEN=...` on its first lines,
// then runs until killed. --fail-after N: orders/green loses its instances N seconds in. --idle:
// start no rollout (Consul with the splitters only).
import { parseArgs } from "util";
import { EngineDriver } from "./engineDriver";
import { prodRelease, startConsulAtRest } from "./flipClient";

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            services: { type: "string", default: "inventory,orders" },
            steps: { type: "string", default: "10,50" },
            bake: { type: "string", default: "20" },
            interval: { type: "string", default: "5" },
            "fail-after": { type: "string" },
            idle: { type: "boolean", default: false },
        },
    });
    const consul = await startConsulAtRest();
    process.stdout.write(`CONSUL_HTTP_ADDR=http://${consul.address}\nCONSUL_HTTP_TOKEN=management-token\n`);
    const engine = new EngineDriver(consul, Date.now());
    engine.alarms = { "orders-5xx": "OK" };
    const started = Date.now();
    const failAfter = values["fail-after"] === undefined ? undefined : Number(values["fail-after"]) * 1000;
    if (!values.idle) {
        const steps = values.steps === "" ? [] : (values.steps as string).split(",").map(Number);
        await engine.start(prodRelease({ steps, bakeSeconds: Number(values.bake), checkIntervalSeconds: Number(values.interval) }, (values.services as string).split(",")), "ana@laptop");
    }
    let busy = false;
    setInterval(() => {
        if (failAfter !== undefined && Date.now() - started >= failAfter) {
            consul.state.instances = consul.state.instances.filter((i) => !(i.service === "orders" && i.version === "green"));
        }
        if (!busy) {
            busy = true;
            void engine.runUntil(Date.now()).finally(() => (busy = false));
        }
    }, 200);
}

void main();
