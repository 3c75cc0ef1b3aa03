// What reaches the user when a command cannot work: one line naming the file or tool and the fix,
// never a stack trace. Judged through the entries' own error reporters (cli/shared/run.ts for plan,
// cli/flip/clientErrors.ts for the flip client), and as a real process where only a process can
// show it (a lock file another user may not create). The flip client's own `--up` check for the
// Pulumi CLI is tested with the client (tests/cli/flip/set.test.ts).
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { flip, FlipEnvironment } from "../../cli/flip/main";
import { Applier } from "../../cli/flip/apply";
import { classify } from "../../cli/flip/clientErrors";
import { plan } from "../../cli/plan/main";
import { reportError } from "../../cli/shared/run";
import { ROOT, TYPESCRIPT } from "../support/harness";

/** What the user sees for a plan failure, and its exit code. */
async function failureOf(command: () => Promise<number>): Promise<{ code: number; lines: string[] }> {
    const printed: string[] = [];
    try {
        const code = await command();
        return { code, lines: [`(no failure: exit ${code})`] };
    } catch (err) {
        const code = reportError(err, (text) => printed.push(text));
        return { code, lines: printed.join("\n").split("\n") };
    }
}

/** The same for the flip client, through its own reporter. */
async function flipFailureOf(command: () => Promise<number>): Promise<{ code: number; lines: string[] }> {
    try {
        const code = await command();
        return { code, lines: [`(no failure: exit ${code})`] };
    } catch (err) {
        const { code, line } = classify(err);
        return { code, lines: line.split("\n") };
    }
}

function expectOneLine(failure: { code: number; lines: string[] }, code: number, ...says: string[]) {
    expect(failure.lines, failure.lines.join("\n")).to.have.length(1);
    expect(failure.lines[0]).to.not.match(/^\s+at /);
    for (const fragment of says) {
        expect(failure.lines[0]).to.include(fragment);
    }
    expect(failure.code).to.equal(code);
}

const applierThatMustNotRun: Applier = {
    async apply() {
        throw new Error("the applier was called");
    },
};

describe("command-line failures", () => {
    let dir: string;
    let output: string[];
    const devText = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    const environment = (overrides: Partial<FlipEnvironment> = {}): FlipEnvironment => ({
        out: { write: (text: string) => output.push(text) },
        env: {},
        applier: applierThatMustNotRun,
        ...overrides,
    });

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-errors-"));
        output = [];
    });
    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("plan --dir of a folder that does not exist", async () => {
        const missing = path.join(dir, "nowhere");
        expectOneLine(await failureOf(() => plan(["--stack", "dev", "--dir", missing], () => undefined)), 2, `the folder ${missing} does not exist`, "--dir");
    });

    it("a stack file that is a folder, for plan and flip", async () => {
        fs.mkdirSync(path.join(dir, "Pulumi.dev.yaml"));
        const says = [`${path.join(dir, "Pulumi.dev.yaml")} is a folder, not a stack file`];
        expectOneLine(await failureOf(() => plan(["--stack", "dev", "--dir", dir], () => undefined)), 2, ...says);
        expectOneLine(await flipFailureOf(() => flip(["set", "--stack", "dev", "--dir", dir, "--service", "orders", "--to", "green"], environment())), 2, ...says);
    });

    describe("a traffic map written as a YAML alias", () => {
        // inventory's traffic carries an anchor; orders' is an alias of it.
        const aliased = devText.replace("traffic: { blue: 100, green: 0 }", "traffic: &split { blue: 100, green: 0 }").replace(/traffic: \{ blue: 100, green: 0 \}(?![\s\S]*traffic:)/, "traffic: *split");

        beforeEach(() => {
            expect(aliased.match(/traffic: \*split/g)).to.have.length(1);
            fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), aliased);
        });

        for (const mode of ["(edit)", "--dry-run", "--up"]) {
            it(`set ${mode}: refused in one line, the file untouched, nothing applied`, async () => {
                const args = ["set", "--stack", "dev", "--dir", dir, "--service", "orders", "--to", "green", ...(mode.startsWith("--") ? [mode] : [])];
                const failure = await flipFailureOf(() => flip(args, environment()));
                expectOneLine(failure, 2, "error: config.bluegreen:services.orders.traffic is a YAML alias (*split)", "write it out as { blue: <weight>, green: <weight> } for orders");
                expect(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8")).to.equal(aliased);
                expect(fs.readdirSync(dir)).to.deep.equal(["Pulumi.dev.yaml"]);
            });
        }
    });

    it("a stack file and folder this user may not write (EACCES), as a process", function () {
        this.timeout(60000);
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), devText);
        fs.chmodSync(path.join(dir, "Pulumi.dev.yaml"), 0o644);
        // Readable, not writable: root may write anywhere, so as root the flip runs as nobody.
        fs.chmodSync(dir, 0o555);
        const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
        // nobody must reach the checkout to run the client at all: a clone inside a mode-700 folder
        // (mktemp -d) would fail for that reason instead. Open the way for the run, then restore it.
        const opened = process.getuid?.() === 0 ? openTraversal(ROOT) : [];
        const result = spawnSync(process.execPath, [...TYPESCRIPT, "cli/flip/main.ts", "set", "--stack", "dev", "--dir", dir, "--service", "orders", "--to", "green"], {
            cwd: ROOT,
            encoding: "utf8",
            env: { PATH: process.env.PATH, HOME: os.tmpdir() },
            ...asNobody,
        });
        fs.chmodSync(dir, 0o755);
        for (const [folder, mode] of opened) {
            fs.chmodSync(folder, mode);
        }
        expect(result.error).to.equal(undefined);
        const lines = result.stderr.trim().split("\n");
        expect(lines, result.stderr).to.have.length(1);
        // The client checks that it may write the file and its folder (the lock and the replacement go
        // there) before it takes the lock; as nobody neither is writable, and the first is named.
        expect(lines[0]).to.match(new RegExp(`^error: cannot edit ${dir}/Pulumi\\.dev\\.yaml: .* is not writable: EACCES \\(permission denied\\)$`));
        expect(result.status).to.equal(2);
        expect(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8")).to.equal(devText);
    });
});

/** Adds o+x to every folder from / down to `folder` that lacks it; returns what it changed, to restore. */
function openTraversal(folder: string): [string, number][] {
    const changed: [string, number][] = [];
    for (let at = path.resolve(folder); ; at = path.dirname(at)) {
        const mode = fs.statSync(at).mode & 0o7777;
        if ((mode & 0o001) === 0) {
            fs.chmodSync(at, mode | 0o001);
            changed.push([at, mode]);
        }
        if (path.dirname(at) === at) {
            return changed;
        }
    }
}
