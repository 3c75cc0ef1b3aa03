// Stack files that cannot be read, as `npm run plan` reports them: the file's name, what is wrong,
// exit 1 (src/offline/stackFile.ts reads them for every command).
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { plan as planCommand } from "../../cli/plan/main";
import { reportError } from "../../cli/shared/run";

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
