// The docs: every relative link resolves, the architecture page has its two diagrams, and the
// runbooks cover every situation the team asked for.
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { ROOT } from "./support/harness";

const DOCS = path.join(ROOT, "docs");
const pages = ["README.md", ...fs.readdirSync(DOCS).map((f) => path.join("docs", f))].filter((f) => f.endsWith(".md"));

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

    it("runbooks cover promote, canary, rollback, stuck deployment, server loss, restore and rotations", () => {
        const headings = [...fs.readFileSync(path.join(DOCS, "runbooks.md"), "utf8").matchAll(/^## (.+)$/gm)].map((m) => m[1]);
        expect(headings).to.deep.equal([
            "Promote (all traffic to the new colour)",
            "Canary",
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
