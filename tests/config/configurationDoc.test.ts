// docs/configuration.md's examples are a stack that validates: its YAML blocks, put together into one
// stack file, pass the same validation `pulumi up` runs (src/config/), so the reference cannot show
// a key, a shape or a value the program would refuse.
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import { validateStackConfig } from "../../src/config";
import { ROOT } from "../support/harness";

function exampleStack(): Record<string, unknown> {
    const text = fs.readFileSync(path.join(ROOT, "docs", "configuration.md"), "utf8");
    const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).to.be.at.least(5);
    const config: Record<string, unknown> = {};
    for (const block of blocks) {
        const lines = block.split("\n").filter((line) => line.trim() !== "" && !line.trim().startsWith("#"));
        const indent = Math.min(...lines.map((line) => line.length - line.trimStart().length));
        const doc = YAML.parse(lines.map((line) => line.slice(indent)).join("\n")) as Record<string, unknown>;
        Object.assign(config, "config" in doc ? (doc.config as Record<string, unknown>) : doc);
    }
    return config;
}

describe("docs/configuration.md", () => {
    it("its examples together are a stack file that validates", () => {
        const config = exampleStack();
        const values = Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith("bluegreen:")).map(([k, v]) => [k.slice("bluegreen:".length), v]));
        expect(Object.keys(values)).to.include.members(["network", "consul", "gateway", "services", "logRetentionDays"]);
        const result = validateStackConfig({ project: "bluegreen", stack: "prod", region: config["aws:region"], values });
        expect(result.ok ? [] : result.problems).to.deep.equal([]);
    });

    it("names every top-level key the validation accepts", () => {
        const text = fs.readFileSync(path.join(ROOT, "docs", "configuration.md"), "utf8");
        for (const key of ["network", "consul", "gateway", "services", "logRetentionDays"]) {
            expect(text).to.include(`bluegreen:${key}`);
        }
    });
});
