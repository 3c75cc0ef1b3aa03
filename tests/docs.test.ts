// The docs: every relative link and every repository path they name resolves, every section the
// code's comments cite exists, the architecture page has its two diagrams, and the runbooks cover
// every situation the team asked for.
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as ts from "typescript";
import { ROOT } from "./support/harness";

const DOCS = path.join(ROOT, "docs");
const pages = ["README.md", ...fs.readdirSync(DOCS).map((f) => path.join("docs", f))].filter((f) => f.endsWith(".md"));

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(page: string): Set<string> {
    const headings = [...fs.readFileSync(path.join(ROOT, page), "utf8").matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]);
    return new Set(headings.map((h) => h.toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-")));
}

/** Every TypeScript file of the program, CLI, tests and policy pack, relative to the root. */
function sourceFiles(dir = ROOT, out: string[] = []): string[] {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory() && !["node_modules", "bin", ".git"].includes(entry.name)) {
            sourceFiles(full, out);
        } else if (entry.isFile() && entry.name.endsWith(".ts")) {
            out.push(path.relative(ROOT, full));
        }
    }
    return out;
}

/** Every file of the repository (not node_modules, build output or .git), relative to the root. */
function repositoryFiles(dir = ROOT, out: string[] = []): string[] {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory() && !["node_modules", "bin", ".git"].includes(entry.name)) {
            repositoryFiles(full, out);
        } else if (entry.isFile()) {
            out.push(path.relative(ROOT, full));
        }
    }
    return out;
}

/** The text of every comment of a source file, as TypeScript's scanner sees it (never a string's). */
function commentsOf(file: string): { line: number; text: string }[] {
    const source = fs.readFileSync(path.join(ROOT, file), "utf8");
    const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, source);
    const comments: { line: number; text: string }[] = [];
    for (let token = scanner.scan(); token !== ts.SyntaxKind.EndOfFileToken; token = scanner.scan()) {
        if (token === ts.SyntaxKind.SingleLineCommentTrivia || token === ts.SyntaxKind.MultiLineCommentTrivia) {
            comments.push({ line: source.slice(0, scanner.getTokenStart()).split("\n").length, text: scanner.getTokenText() });
        }
    }
    return comments;
}

/**
 * The repository paths a comment names: `src/shared/ports.ts`, cli/flip/, docs/runbooks.md, with or
 * without backticks; one written relative to its file (../src/shared/) resolves from the file's
 * folder. A path inside another path or a URL (.../consul/docs/...) is not the repository's.
 */
function pathsNamedIn(file: string, comment: string): string[] {
    const named = [...comment.matchAll(/(?<![\w./-])((?:\.\.\/)*)((?:src|cli|tests|policies|docs|scripts|\.github|\.ci)\/[\w./-]*)/g)];
    return named.map((m) => {
        const target = m[2].replace(/\.+$/, "");
        return m[1] ? path.join(path.dirname(file), m[1], target) : target;
    });
}

describe("docs", () => {
    for (const page of pages) {
        it(`${page}: relative links resolve`, () => {
            const text = fs.readFileSync(path.join(ROOT, page), "utf8");
            const targets = [...text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/.test(t));
            for (const target of targets) {
                expect(fs.existsSync(path.join(ROOT, path.dirname(page), target)), `${page} -> ${target}`).to.equal(true);
            }
        });
    }

    for (const page of pages) {
        it(`${page}: every repository path it names exists`, () => {
            const text = fs.readFileSync(path.join(ROOT, page), "utf8");
            const named = [...text.matchAll(/`((?:src|cli|tests|policies|docs|scripts|\.github|\.ci)\/[\w./-]*)`/g)].map((m) => m[1]);
            for (const target of named) {
                expect(fs.existsSync(path.join(ROOT, target)), `${page} names ${target}`).to.equal(true);
            }
        });
    }

    it("every repository path a comment names exists (src/, cli/, policies/, tests/, index.ts, the tool configs)", () => {
        const files = [...sourceFiles(), "eslint.config.mjs", ".dependency-cruiser.cjs", "knip.jsonc"];
        const missing: string[] = [];
        let named = 0;
        for (const file of files) {
            for (const { line, text } of commentsOf(file)) {
                for (const target of pathsNamedIn(file, text)) {
                    named++;
                    if (!fs.existsSync(path.join(ROOT, target))) {
                        missing.push(`${file}:${line} names ${target}`);
                    }
                }
            }
        }
        // The check looked: comments do name paths (hundreds of them).
        expect(named).to.be.above(100);
        expect(missing).to.deep.equal([]);
    });

    it("every file a comment names by its bare name (colourHealth.ts, flip.md) is a file of the repository", () => {
        // Files the program and its users write or read at run time, not kept in the repository.
        const runtimeFiles = new Set(["plan.json", "secrets.json"]);
        const all = repositoryFiles();
        const names = new Set(all.map((f) => path.basename(f)));
        const missing: string[] = [];
        for (const file of all.filter((f) => f.endsWith(".ts"))) {
            for (const { line, text } of commentsOf(file)) {
                for (const m of text.matchAll(/(?<![\w./-])([A-Za-z][\w.-]*\.(?:ts|md|json|ya?ml|cjs|mjs))\b/g)) {
                    if (!names.has(m[1]) && !runtimeFiles.has(m[1])) {
                        missing.push(`${file}:${line} names ${m[1]}`);
                    }
                }
            }
        }
        expect(missing).to.deep.equal([]);
    });

    it("every docs section a comment or a page cites exists (docs/<page>.md#anchor)", () => {
        const cited: { from: string; page: string; anchors: string[] }[] = [];
        for (const file of [...sourceFiles(), ...pages]) {
            const text = fs.readFileSync(path.join(ROOT, file), "utf8");
            // A comment may cite several sections of one page: docs/platform-facts.md#iam, #network.
            for (const m of text.matchAll(/(?:^|[^\w/.])((?:\.\.\/)*(?:docs\/)?[\w-]+\.md)((?:#[\w-]+)(?:, #[\w-]+)*)/gm)) {
                const page = m[1].startsWith("docs/") ? m[1] : path.join(path.dirname(file), m[1]);
                cited.push({ from: file, page: path.normalize(page), anchors: m[2].split(", ").map((a) => a.slice(1)) });
            }
        }
        expect(cited.filter((c) => c.page === path.join("docs", "platform-facts.md")).length).to.be.above(10);
        for (const { from, page, anchors } of cited) {
            expect(fs.existsSync(path.join(ROOT, page)), `${from} cites ${page}`).to.equal(true);
            const known = anchorsOf(page);
            for (const anchor of anchors) {
                expect(known.has(anchor), `${from} cites ${page}#${anchor}`).to.equal(true);
            }
        }
    });

    it("no file of the repository names a path of someone's machine (a home folder, a checkout's absolute path)", () => {
        // Written in pieces so that this file does not name them itself.
        const machinePath = new RegExp(`(^|[^\\w.~-])/(${["wo" + "rk", "ro" + "ot", "ho" + "me", "Us" + "ers"].join("|")})/`);
        const offenders: string[] = [];
        const walk = (dir: string) => {
            for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
                const full = path.join(dir, entry.name);
                if (["node_modules", ".git", "bin"].includes(entry.name)) {
                    continue;
                }
                if (entry.isDirectory()) {
                    walk(full);
                } else if (entry.isFile() && fs.statSync(full).size < 2_000_000) {
                    const text = fs.readFileSync(full, "utf8");
                    const line = text.includes("\u0000") ? undefined : text.split("\n").findIndex((l) => machinePath.test(l));
                    if (line !== undefined && line >= 0) {
                        offenders.push(`${path.relative(ROOT, full)}:${line + 1}`);
                    }
                }
            }
        };
        walk(ROOT);
        expect(offenders).to.deep.equal([]);
    });

    it("no comment cites a section of a document outside the repository", () => {
        const offenders = sourceFiles().filter((file) => /reference sections? \d|reference \u00a7/i.test(fs.readFileSync(path.join(ROOT, file), "utf8")));
        expect(offenders).to.deep.equal([]);
    });

    it("no page tells operators to test a colour with the header through the ALB: the API gateway ignores a service's router", () => {
        // Consul applies a service-router only at the top of a discovery chain; the gateway's chain
        // starts at its http-route, so x-bluegreen-color on a request to the ALB reaches the split.
        for (const page of pages) {
            const text = fs.readFileSync(path.join(ROOT, page), "utf8");
            const headerCalls = text.split("\n").filter((line) => /curl[^\n]*x-bluegreen-color/.test(line));
            for (const line of headerCalls) {
                expect(line, page).to.not.match(/https:\/\/<[^>]*(alb|ALB)[^>]*>/);
            }
        }
    });

    it("architecture has the request path and the control path as Mermaid diagrams", () => {
        const text = fs.readFileSync(path.join(DOCS, "architecture.md"), "utf8");
        const diagrams = [...text.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
        expect(diagrams).to.have.length(2);
        expect(diagrams[0]).to.match(/Internet[\s\S]*ALB[\s\S]*gateway[\s\S]*orders[\s\S]*inventory/);
        expect(diagrams[0]).to.include("blue").and.include("green");
        expect(diagrams[1]).to.include("pulumi up").and.include("Consul servers").and.include("dataplanes");
    });

    it("runbooks start with the emergency rollback, then cover promote, canary, pause and resume, abort, multi-service release, rollback, stuck deployment, server loss, restore and rotations", () => {
        const text = fs.readFileSync(path.join(DOCS, "runbooks.md"), "utf8");
        const headings = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
        // The one command, what it prints and what to commit after, before anything else.
        const emergency = text.slice(text.indexOf("## Emergency rollback"), text.indexOf("## About these runbooks"));
        expect(emergency).to.include("npm run flip -- rollback --stack prod --service orders").and.include("Rolled back in").and.include("git commit -m").and.include("--break-glass");
        expect(headings).to.deep.equal([
            "Emergency rollback: one command",
            "About these runbooks",
            "Promote (all traffic to the new colour)",
            "Canary, and a gate that fails",
            "Pause and resume",
            "Abort from a second machine",
            "A release of several services",
            "Rollback",
            "Stuck deployment",
            "Loss of one Consul server (ha)",
            "Loss of a majority of Consul servers (restore)",
            "Rotate the gossip key",
            "Rotate the CA",
        ]);
    });

    it("alternatives compare every option the team weighed and date their prices", () => {
        const text = fs.readFileSync(path.join(DOCS, "alternatives.md"), "utf8");
        for (const option of ["Public ALB", "Internal ALB", "Cloud Map", "App Mesh", "Istio", "ECS built-in blue/green with Service Connect", "CodeDeploy"]) {
            expect(text, option).to.include(option);
        }
        expect(text).to.include("2026-09-30");
        expect(text).to.match(/\$0\.04048 per vCPU-hour.*2026-03-10/);
    });
});
