// src/offline/stackFile.ts, which reads Pulumi.<stack>.yaml for every command: an unknown stack is a
// usage error naming the known ones, and a file that cannot be read is reported as `npm run plan`
// shows it: the file's name, what is wrong, exit 1.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { plan as planCommand } from "../../cli/plan/main";
import { reportError } from "../../cli/shared/run";
import { UsageError } from "../../src/offline/errors";
import { listStacks, loadStackFile, REPOSITORY_ROOT } from "../../src/offline/stackFile";

describe("stack files that cannot be read", () => {
    async function planFile(text: string): Promise<{ code: number; out: string }> {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-"));
        fs.writeFileSync(path.join(dir, "Pulumi.broken.yaml"), text);
        const out: string[] = [];
        try {
            return { code: await planCommand(["--stack", "broken", "--dir", dir], (t) => out.push(t)), out: out.join("\n") };
        } catch (err) {
            return { code: reportError(err, (t) => out.push(t)), out: out.join("\n") };
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    it("reports a YAML syntax error with the file's name, exit 1", async () => {
        const { code, out } = await planFile("config:\n  bluegreen:services: {\n");
        expect(code).to.equal(1);
        expect(out).to.include("Pulumi.broken.yaml: is not valid YAML");
    });

    it("reports a config that is not a map, exit 1", async () => {
        const { code, out } = await planFile("config: [1, 2]\n");
        expect(code).to.equal(1);
        expect(out).to.include("config: must be a map");
    });

    it("reports missing required keys, exit 1", async () => {
        const { code, out } = await planFile("config:\n  aws:region: eu-west-1\n  bluegreen:services: []\n");
        expect(code).to.equal(1);
        expect(out).to.include("bluegreen:services: [] is not an object");
        expect(out).to.include("bluegreen:consul: is required");
        expect(out).to.include("bluegreen:gateway: is required");
        expect(out).to.not.include("is empty");
    });
});

describe("loadStackFile", () => {
    it("reads an example stack's text and config map", () => {
        const dev = loadStackFile("dev");
        expect(dev.file).to.equal(path.join(REPOSITORY_ROOT, "Pulumi.dev.yaml"));
        expect(dev.text).to.equal(fs.readFileSync(dev.file, "utf8"));
        expect(dev.values["aws:region"]).to.equal("eu-west-1");
    });

    it("names an unknown stack and the known ones, as a usage error; a missing folder is named as missing", () => {
        expect(() => loadStackFile("staging")).to.throw(UsageError, `unknown stack "staging": there is no Pulumi.staging.yaml in ${REPOSITORY_ROOT}; known stacks: ${listStacks().join(", ")}`);
        expect(listStacks()).to.include.members(["dev", "prod"]);
        const missing = path.join(os.tmpdir(), "bluegreen-no-such-folder");
        expect(() => loadStackFile("dev", missing)).to.throw(UsageError, `the folder ${missing} does not exist; --dir takes the folder that holds Pulumi.dev.yaml`);
        expect(listStacks(missing)).to.deep.equal([]);
    });
});
