// The two test loops: `npm test` runs every file (.mocharc.json); `npm run test:fast` runs the same
// configuration without the files that start processes, plan the whole program or start loopback
// servers (.mocharc.fast.json). This keeps the fast loop's list true: every file it leaves out
// exists, and every test file that starts a TypeScript process (ts-node, npm) or a loopback server
// is left out. The files to run are
// named by the npm scripts, not the configurations, so that `npx mocha tests/docs.test.ts` runs
// that file only (mocha adds a configuration's spec to the files named on its command line).
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { ROOT } from "./support/harness";

const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), "utf8"));

function testFiles(dir = path.join(ROOT, "tests"), out: string[] = []): string[] {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
            testFiles(full, out);
        } else if (entry.name.endsWith(".test.ts")) {
            out.push(path.relative(ROOT, full).split(path.sep).join("/"));
        }
    }
    return out;
}

describe("test loops", () => {
    const full = readJson(".mocharc.json");
    const fast = readJson(".mocharc.fast.json");
    const left = fast.ignore as string[];

    it("the fast loop is the full configuration less its list of slow files", () => {
        const rest = { ...fast };
        delete rest.ignore;
        expect(rest).to.deep.equal(full);
        expect(left).to.not.be.empty;
    });

    it("both loops run every test file, named by the npm scripts (a configuration names none)", () => {
        const scripts = readJson("package.json").scripts as Record<string, string>;
        expect(scripts["test:unit"]).to.equal('mocha "tests/**/*.test.ts"');
        expect(scripts["test:fast"]).to.equal('mocha --config .mocharc.fast.json "tests/**/*.test.ts"');
        expect(full).to.not.have.property("spec");
    });

    it("leaves out every test file that starts a loopback server (fake Consul, AWS, CloudWatch, Lambda, or its own)", () => {
        const serving = testFiles().filter((f) => /startFake[A-Z]\w*\(|createServer\(|new FlipWorld\(|new EngineDriver\(/.test(fs.readFileSync(path.join(ROOT, f), "utf8")));
        expect(serving).to.not.be.empty;
        expect(serving.filter((f) => !left.includes(f))).to.deep.equal([]);
    });

    it("every file the fast loop leaves out exists", () => {
        const files = new Set(testFiles());
        expect(left.filter((f) => !files.has(f))).to.deep.equal([]);
    });

    it("leaves out every test file that starts a TypeScript process", () => {
        const startsProcess = /ts-node\/register|TYPESCRIPT|"npm"|spawn\([^)]*\bnpm\b/;
        const spawning = testFiles().filter((f) => /\b(spawn|spawnSync|execFile|execFileSync|fork)\(/.test(fs.readFileSync(path.join(ROOT, f), "utf8")) && startsProcess.test(fs.readFileSync(path.join(ROOT, f), "utf8")));
        expect(spawning).to.not.be.empty;
        expect(spawning.filter((f) => !left.includes(f))).to.deep.equal([]);
    });
});
