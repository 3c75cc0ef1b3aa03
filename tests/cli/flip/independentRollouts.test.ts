// The flip client with rollouts of disjoint services running side by side (issue 17): status shows
// every running rollout and each service's health and rollout, narrowed by --service or --rollout;
// a command reaches only the rollout it is addressed to, and is refused when the address is
// ambiguous; status gives the right health and exit code in each row of the consistency table
// (docs/rollouts.md); history shows operators' rollbacks. Consul is the loopback fake of
// tests/support/fakeConsul.ts, answering in Consul's documented formats (it is NOT Consul); the
// engine is its real handler (src/rollout/handler.ts) on the virtual clock of tests/support/flipClient.ts.
import { expect } from "chai";
import { classify } from "../../../cli/flip/clientErrors";
import { ControlCommand, RollbackRequest, RolloutHealth } from "../../../src/rollout/contract";
import { handleEvent } from "../../../src/rollout/handler";
import { writeSplitter } from "../../support/engineDriver";
import { readKv } from "../../support/fakeConsulKv";
import { ALL_BLUE, FlipWorld, prodRelease } from "../../support/flipClient";

interface JsonReport {
    readonly health: RolloutHealth;
    readonly services: readonly { service: string; health: RolloutHealth; message: string; rolloutId?: string }[];
    readonly rollouts: readonly { rolloutId: string; phase: string }[];
}

describe("npm run flip with independent rollouts (status, commands, history; engine handler on the loopback Consul model)", () => {
    const world = new FlipWorld();
    beforeEach(() => world.setUp());
    afterEach(() => world.tearDown());

    const ordersRelease = () => prodRelease({}, ["orders"]);
    const inventoryRelease = () => prodRelease({ steps: [25], bakeSeconds: 60 }, ["inventory"]);
    const commandWrites = () => world.consul.state.requests.filter((r) => r.startsWith("PUT /v1/kv/bluegreen/rollout/commands/"));
    const json = async (args: string[]): Promise<{ code: number; report: JsonReport }> => {
        world.output = [];
        const code = await world.run([...args, "--json"]);
        return { code, report: JSON.parse(world.text()) as JsonReport };
    };
    const refusal = async (args: string[]) => {
        const err = await world.run(args).catch((e: unknown) => e);
        return classify(err);
    };
    const rollbackOf = (id: string, service: string, to = ALL_BLUE): RollbackRequest => ({
        id,
        stack: "prod",
        services: [{ service, to }],
        issuedBy: "cy@laptop-3",
        issuedAt: new Date(world.engine.now).toISOString(),
        reason: "5xx after deploy",
    });

    describe("status", () => {
        it("shows two rollouts running at once, each service's health and the rollout it belongs to, and narrows by --service and --rollout", async () => {
            const orders = await world.startRollout(ordersRelease());
            const inventory = await world.startRollout(inventoryRelease());
            expect(await world.run(["status", "--stack", "prod"])).to.equal(4);
            const text = world.text();
            expect(text).to.match(new RegExp(`^Stack prod: Progressing: rollout ${inventory} is baking; rollout ${orders} is baking\n`));
            expect(text).to.match(new RegExp(`inventory\\s+Progressing\\s+blue 75% / green 25%\\s+blue 75% / green 25%\\s+blue 0% / green 100%\\s+blue 0% / green 100%\\s+${inventory}`));
            expect(text).to.match(new RegExp(`orders\\s+Progressing\\s+blue 90% / green 10%\\s+blue 90% / green 10%\\s+blue 0% / green 100%\\s+blue 0% / green 100%\\s+${orders}`));
            expect(text).to.include(`rollout ${orders} of orders: baking (Progressing)`);
            expect(text).to.include(`rollout ${inventory} of inventory: baking (Progressing)`);
            expect(text).to.include("step 1 of 2 (25%)");
            expect(text).to.include("step 1 of 3 (10%)");

            // inventory's rollout ends first; orders' goes on.
            await world.runEngineUntil(world.engine.now + 200_000);
            const both = await json(["status", "--stack", "prod"]);
            expect(both.code).to.equal(4);
            expect(both.report.health).to.equal("Progressing");
            expect(both.report.services.map((s) => [s.service, s.health, s.rolloutId])).to.deep.equal([
                ["inventory", "Healthy", inventory],
                ["orders", "Progressing", orders],
            ]);
            expect(both.report.services[0].message).to.match(new RegExp(`^rollout ${inventory} promoted at \\S+$`));

            const onlyInventory = await json(["status", "--stack", "prod", "--service", "inventory"]);
            expect(onlyInventory.code).to.equal(0);
            expect(onlyInventory.report.services.map((s) => s.service)).to.deep.equal(["inventory"]);
            expect(onlyInventory.report.rollouts.map((r) => r.rolloutId)).to.deep.equal([inventory]);

            const byRollout = await json(["status", "--stack", "prod", "--rollout", orders]);
            expect(byRollout.code).to.equal(4);
            expect(byRollout.report.services.map((s) => s.service)).to.deep.equal(["orders"]);

            world.output = [];
            expect(await world.run(["status", "--stack", "prod", "--service", "orders"])).to.equal(4);
            expect(world.text()).to.not.include(inventory);
            expect(classify(await world.run(["status", "--stack", "prod", "--rollout", orders, "--service", "inventory"]).catch((e: unknown) => e))).to.deep.equal({
                code: 2,
                line: `error: rollout ${orders} is for orders, not inventory`,
            });
            const unknown = await refusal(["status", "--stack", "prod", "--rollout", "prod-0000000000000000-9"]);
            expect(unknown.code).to.equal(2);
            expect(unknown.line).to.match(/has no rollout prod-0000000000000000-9 \(an ended rollout's state is removed once no service belongs to it: see history\)/);
        });

        it("--watch follows every running rollout until all settle, printing each one's events; the worst outcome decides the exit code", async () => {
            const orders = await world.startRollout(ordersRelease());
            const inventory = await world.startRollout(inventoryRelease());
            world.onSleep = (n) => {
                if (n === 1) {
                    // inventory/green loses its instances: its rollout's gate fails; orders' is untouched.
                    world.consul.state.instances = world.consul.state.instances.filter((i) => !(i.service === "inventory" && i.version === "green"));
                }
            };
            expect(await world.run(["status", "--stack", "prod", "--watch", "--poll", "10s"])).to.equal(5);
            const text = world.text();
            expect(text).to.match(new RegExp(`${inventory}: rolled-back: gate health:inventory failed 3 checks in a row`));
            expect(text).to.match(new RegExp(`${orders}: promoted: orders blue 0% / green 100%`));
            // It watched orders to its end, after inventory's had ended.
            expect(text.indexOf(`${orders}: promoted`)).to.be.greaterThan(text.indexOf(`${inventory}: rolled-back`));
            expect(text).to.match(/Stack prod: Degraded: rollout \S+ rolled-back: gate health:inventory/);
            expect(text).to.match(new RegExp(`orders\\s+Healthy\\s+blue 0% / green 100%`));
            expect(text).to.match(new RegExp(`inventory\\s+Degraded\\s+blue 100% / green 0%`));
            // Narrowed to orders, the same stack is healthy.
            world.output = [];
            expect(await world.run(["status", "--stack", "prod", "--service", "orders", "--watch"])).to.equal(0);
            expect(world.text()).to.match(new RegExp(`no rollout is running \\(${orders} ended promoted at \\S+\\): nothing to watch`));
        });

        it("--watch with a timeout: a rollout still running (4) does not hide another's end (rolled back: 5)", async () => {
            await world.startRollout(ordersRelease());
            const inventory = await world.startRollout(inventoryRelease());
            world.consul.state.instances = world.consul.state.instances.filter((i) => !(i.service === "inventory" && i.version === "green"));
            expect(await world.run(["status", "--stack", "prod", "--watch", "--timeout", "5m", "--poll", "10s"])).to.equal(5);
            expect(world.state(inventory).phase).to.equal("rolled-back");
            expect(world.text()).to.match(/still Degraded after 300s of watching \(prod-[0-9a-f]{16}-1 baking\); the rollouts go on in the engine/);
        });
    });

    describe("commands address one rollout", () => {
        it("--service reaches only the rollout that service belongs to; --rollout the one named", async () => {
            const orders = await world.startRollout(ordersRelease());
            const inventory = await world.startRollout(inventoryRelease());
            expect(await world.run(["pause", "--stack", "prod", "--service", "orders", "--yes", "--poll", "10s"])).to.equal(0);
            expect(world.text()).to.include(`pause sent to rollout ${orders}`);
            expect(world.state(orders).phase).to.equal("paused");
            expect(world.state(inventory).phase).to.equal("baking");
            expect(readKv(world.consul, world.commandKey(inventory))).to.equal(undefined);
            expect(commandWrites()).to.deep.equal([`PUT /v1/kv/${world.commandKey(orders)}?cas=0`]);

            world.output = [];
            expect(await world.run(["promote", "--full", "--stack", "prod", "--rollout", inventory, "--yes", "--poll", "10s"])).to.equal(0);
            await world.runEngineUntil(world.engine.now + 120_000);
            expect(world.state(inventory).phase).to.equal("promoted");
            expect(world.state(orders).phase).to.equal("paused");
            expect(readKv<ControlCommand>(world.consul, world.commandKey(orders))?.kind).to.equal("pause");
            expect(readKv<ControlCommand>(world.consul, world.commandKey(inventory))?.kind).to.equal("promote-full");

            // One rollout running now: a command without an address goes to it.
            world.output = [];
            expect(await world.run(["resume", "--stack", "prod", "--yes", "--poll", "10s"])).to.equal(0);
            expect(world.text()).to.include(`resume sent to rollout ${orders}`);
            expect(world.state(orders).phase).to.equal("baking");
        });

        it("refuses, listing the running rollouts, when the address is ambiguous, and sends nothing", async () => {
            const orders = await world.startRollout(ordersRelease());
            const inventory = await world.startRollout(inventoryRelease());
            const none = await refusal(["pause", "--stack", "prod", "--yes"]);
            expect(none).to.deep.equal({
                code: 2,
                line: `error: 2 rollouts are running in stack prod: ${orders} (baking: orders), ${inventory} (baking: inventory); say which with --service <name> or --rollout <id>. Nothing was sent`,
            });
            const two = await refusal(["abort", "--stack", "prod", "--yes", "--service", "orders", "--service", "inventory"]);
            expect(two.code).to.equal(2);
            expect(two.line).to.equal(
                `error: orders, inventory belong to 2 rollouts: ${orders} (baking: orders), ${inventory} (baking: inventory); a command goes to one rollout: name services of one, or pass --rollout <id>. Nothing was sent`,
            );
            const both = await refusal(["abort", "--stack", "prod", "--yes", "--service", "orders", "--rollout", orders]);
            expect(both.code).to.equal(2);
            expect(both.line).to.include("--service and --rollout do not go together with abort");
            expect(commandWrites()).to.deep.equal([]);
            expect([world.state(orders).phase, world.state(inventory).phase]).to.deep.equal(["baking", "baking"]);
        });
    });

    describe("status in each row of the consistency table (docs/rollouts.md)", () => {
        const promotedOrders = async () => {
            const id = await world.startRollout(prodRelease({ steps: [], bakeSeconds: 0 }, ["orders"]));
            await world.runEngineUntil(world.engine.now + 600_000);
            expect(world.state(id).phase).to.equal("promoted");
            return id;
        };
        const gateRolledBack = async () => {
            const id = await world.startRollout(ordersRelease());
            world.consul.state.instances = world.consul.state.instances.filter((i) => !(i.service === "orders" && i.version === "green"));
            await world.runEngineUntil(world.engine.now + 600_000);
            expect(world.state(id).phase).to.equal("rolled-back");
        };
        const operatorRollback = async () => {
            await promotedOrders();
            await world.engine.rollback(rollbackOf("r1", "orders"));
            expect(world.state("prod-rollback-r1")).to.include({ phase: "promoted", kind: "rollback" });
        };
        const rows: { row: string; arrange: () => Promise<unknown>; health: RolloutHealth; code: number; says: RegExp }[] = [
            { row: "release promoted", arrange: promotedOrders, health: "Healthy", code: 0, says: /^rollout prod-[0-9a-f]{16}-1 promoted at \S+$/ },
            { row: "release running", arrange: () => world.startRollout(ordersRelease()), health: "Progressing", code: 4, says: /^rollout prod-[0-9a-f]{16}-1 is baking$/ },
            {
                row: "release paused by an operator",
                arrange: async () => {
                    await world.startRollout(ordersRelease());
                    expect(await world.run(["pause", "--stack", "prod", "--yes", "--poll", "10s"])).to.equal(0);
                },
                health: "Paused",
                code: 4,
                says: /^rollout prod-[0-9a-f]{16}-1 is paused$/,
            },
            {
                row: "rolled back by a gate, the stack file still asking for the new split",
                arrange: gateRolledBack,
                health: "Degraded",
                code: 5,
                says: /^rollout \S+ rolled-back: gate health:orders failed 3 checks in a row.*; orders runs blue 100% \/ green 0%, the stack file asks for blue 0% \/ green 100%: fix the cause and retry/,
            },
            {
                row: "rolled back by a gate, the stack file put back",
                arrange: async () => {
                    await gateRolledBack();
                    world.setTraffic("prod", { orders: ALL_BLUE });
                },
                health: "Healthy",
                code: 0,
                says: /^rollout \S+ rolled-back: .*; the stack file asks for what runs \(blue 100% \/ green 0%\)$/,
            },
            {
                row: "an operator's rollback, the stack file written back",
                arrange: async () => {
                    await operatorRollback();
                    world.setTraffic("prod", { orders: ALL_BLUE });
                },
                health: "Healthy",
                code: 0,
                says: /^rolled back by cy@laptop-3 at \S+: 5xx after deploy; the stack file asks for what runs \(blue 100% \/ green 0%\)$/,
            },
            {
                row: "an operator's rollback, the stack file not written back",
                arrange: operatorRollback,
                health: "Degraded",
                code: 1,
                says: /^rolled back by cy@laptop-3 at \S+: 5xx after deploy; orders runs blue 100% \/ green 0%, the stack file asks for blue 0% \/ green 100%: commit the stack file flip rollback wrote/,
            },
            {
                row: "a split changed behind the engine (drift)",
                arrange: async () => {
                    await promotedOrders();
                    writeSplitter(world.consul, "orders", { blue: 50, green: 50 });
                },
                health: "Degraded",
                code: 1,
                says: /^orders runs blue 50% \/ green 50%, but its last rollout prod-[0-9a-f]{16}-1 left blue 0% \/ green 100% \(changed behind the engine\)$/,
            },
        ];
        for (const { row, arrange, health, code, says } of rows) {
            it(`${row}: orders is ${health}, exit ${code}`, async () => {
                await arrange();
                const { code: exit, report } = await json(["status", "--stack", "prod", "--service", "orders"]);
                const orders = report.services.find((s) => s.service === "orders")!;
                expect(orders.health, orders.message).to.equal(health);
                expect(orders.message).to.match(says);
                expect(exit).to.equal(code);
            });
        }

        it("an operator's rollback of orders during inventory's rollout: orders as its row says, inventory Progressing; the stack takes the worse", async () => {
            await promotedOrders();
            const inventory = await world.startRollout(inventoryRelease());
            await world.engine.rollback(rollbackOf("r2", "orders"));
            expect(world.state(inventory).phase).to.equal("baking");
            const { code, report } = await json(["status", "--stack", "prod"]);
            expect(report.services.map((s) => [s.service, s.health])).to.deep.equal([
                ["inventory", "Progressing"],
                ["orders", "Degraded"],
            ]);
            expect(report.health).to.equal("Degraded");
            expect(code).to.equal(1);
        });
    });

    it("history lists releases and rollbacks with their services, a rollback as who rolled back (break-glass marked), and --service filters", async () => {
        expect(await world.run(["history", "--stack", "prod", "--service", "orders"])).to.equal(0);
        expect(world.text()).to.equal("No rollout of orders has ended yet.\n");
        world.output = [];
        await world.startRollout(prodRelease({ steps: [], bakeSeconds: 0 }, ["inventory"]));
        await world.runEngineUntil(world.engine.now + 600_000);
        await world.startRollout(prodRelease({ steps: [], bakeSeconds: 0 }, ["orders"]));
        await world.runEngineUntil(world.engine.now + 600_000);
        world.engine.now += 60_000;
        await world.engine.rollback(rollbackOf("r1", "orders"));
        world.engine.now += 60_000;
        // A rollback the client wrote itself with an operator's token (the engine's handler run with breakGlass).
        await handleEvent({ kind: "rollback", request: rollbackOf("r2", "inventory") }, { ...world.engine.deps(), breakGlass: true });

        expect(await world.run(["history", "--stack", "prod"])).to.equal(0);
        const lines = world.text().split("\n").filter((l) => !/^[- ]+$/.test(l));
        expect(lines[0]).to.match(/^STARTED\s+BY\s+FROM \(BLUE\/GREEN\)\s+TO \(BLUE\/GREEN\)\s+RESULT\s+ENDED\s+REASON, COMMANDS/);
        // Newest first.
        expect(lines[1]).to.match(/cy@laptop-3 \(break-glass\)\s+inventory 0\/100\s+inventory 100\/0\s+rolled back by cy@laptop-3 \(break-glass\)\s+\S+\s+5xx after deploy/);
        expect(lines[2]).to.match(/cy@laptop-3\s+orders 0\/100\s+orders 100\/0\s+rolled back by cy@laptop-3\s+\S+\s+5xx after deploy/);
        expect(lines[3]).to.match(/ana@laptop\s+orders 100\/0\s+orders 0\/100\s+promoted/);
        expect(lines[4]).to.match(/ana@laptop\s+inventory 100\/0\s+inventory 0\/100\s+promoted/);
        expect(world.text()).to.include("Newest first; 4 rollouts.");

        world.output = [];
        expect(await world.run(["history", "--stack", "prod", "--service", "orders", "--json"])).to.equal(0);
        const records = JSON.parse(world.text()) as { rolloutId: string; kind?: string; to: Record<string, unknown> }[];
        expect(records.map((r) => [r.kind ?? "release", Object.keys(r.to)])).to.deep.equal([
            ["release", ["orders"]],
            ["rollback", ["orders"]],
        ]);
        world.output = [];
        // A rollback's id names its stack too: prod's history is not shown as dev's.
        const dev = await refusal(["history", "--stack", "dev"]);
        expect(dev.code).to.equal(2);
        expect(dev.line).to.include("of stack prod, not dev: nothing was done");
    });
});
