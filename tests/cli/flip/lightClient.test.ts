// The flip client loads only what a command needs: `status` (and `history` and the control
// commands) read the stack file and talk to Consul, so they must not load the Pulumi SDK, the AWS
// provider or the AWS SDK, which cost a flip process about a second of CPU (docs/performance.md).
// Only `set --dry-run` (the offline plan) and `set --up` (the Automation API) load Pulumi, at the
// point of use. A real process, as `npm run flip` starts it, against the loopback fake Consul with a
// rollout running; the process records the files it loaded (tests/support/loadedModules.ts).
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { FlipWorld } from "../../support/flipClient";
import { ROOT, TYPESCRIPT } from "../../support/harness";

describe("flip client: what a status loads (real process)", function () {
    this.timeout(60_000);
    const world = new FlipWorld();
    before(async () => {
        await world.setUp();
        // On the real clock, so that the status shows a rollout in progress, not a silent engine.
        world.engine.now = Date.now();
        await world.startRollout();
    });
    after(() => world.tearDown());

    it("`status --stack prod` loads neither the Pulumi SDK, @pulumi/aws's resources nor the AWS SDK", async () => {
        const loadedFile = path.join(world.dir, "loaded.json");
        // Not spawnSync: the fake Consul answers from this process's event loop.
        const child = spawn(
            process.execPath,
            [...TYPESCRIPT, "-r", "./tests/support/loadedModules.ts", path.join("cli", "flip", "main.ts"), "status", "--stack", "prod", "--dir", world.dir],
            {
                cwd: ROOT,
                stdio: ["ignore", "pipe", "pipe"],
                env: { ...process.env, CONSUL_HTTP_ADDR: `http://${world.consul.address}`, CONSUL_HTTP_TOKEN: "management-token", LOADED_MODULES_FILE: loadedFile },
            },
        );
        const result = { stdout: "", stderr: "" };
        child.stdout.on("data", (chunk: Buffer) => (result.stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (result.stderr += chunk.toString()));
        await new Promise((resolve) => child.on("close", resolve));
        expect(result.stdout, result.stderr).to.include("Recent events:");
        const loaded = (JSON.parse(fs.readFileSync(loadedFile, "utf8")) as string[]).map((f) => path.relative(ROOT, f).split(path.sep).join("/"));
        // What a status does need is there: the stack file's validation and the Consul client.
        expect(loaded).to.include.members(["cli/flip/main.ts", "src/config/validate.ts", "src/offline/stackFile.ts", "src/consul/httpClient.ts"]);
        expect(loaded.some((f) => f.startsWith("node_modules/axios/"))).to.equal(true);
        // The AWS provider's enums (the region list config validation checks against) are plain data.
        const heavy = loaded.filter((f) => /^node_modules\/(@pulumi\/(?!aws\/types\/enums\/)|@aws-sdk\/)/.test(f));
        expect(heavy).to.deep.equal([]);
    });
});
