// The GitHub workflows: valid against GitHub's workflow schema (@action-validator/core, offline),
// and doing what docs/delivery.md says they do.
import * as fs from "fs";
import * as path from "path";
import { validateWorkflow } from "@action-validator/core";
import { expect } from "chai";
import * as YAML from "yaml";
import { ROOT } from "./support/harness";

const DIR = path.join(ROOT, ".github", "workflows");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;
const read = (file: string) => fs.readFileSync(path.join(DIR, file), "utf8");
const load = (file: string): Doc => YAML.parse(read(file));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const stepsUsing = (job: Doc, action: string): Doc[] => (job.steps as Doc[]).filter((s: any) => typeof s.uses === "string" && s.uses.startsWith(`${action}@`));
const runs = (job: Doc): string => (job.steps as Doc[]).map((s: Doc) => s.run ?? "").join("\n");

describe("GitHub workflows", () => {
    const files = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));

    it("are the pull-request, deploy and flip workflows", () => {
        expect(files.sort()).to.deep.equal(["deploy.yml", "flip.yml", "pull-request.yml"]);
    });

    for (const file of ["deploy.yml", "flip.yml", "pull-request.yml"]) {
        it(`${file} is valid against GitHub's workflow schema`, () => {
            expect(validateWorkflow(read(file)).errors).to.deep.equal([]);
        });
    }

    it("the validator rejects a broken workflow (so a pass above means something)", () => {
        const broken = read("deploy.yml").replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest");
        expect(validateWorkflow(broken).errors).to.not.be.empty;
    });

    it("use AWS credentials only by OIDC role assumption, never stored keys", () => {
        for (const file of files) {
            const text = read(file);
            expect(text, file).to.not.match(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|PULUMI_ACCESS_TOKEN: \$\{\{ secrets/);
            const doc = load(file);
            for (const [name, job] of Object.entries<Doc>(doc.jobs)) {
                for (const step of stepsUsing(job, "aws-actions/configure-aws-credentials")) {
                    expect(step.with["role-to-assume"], `${file} ${name}`).to.match(/^\$\{\{ vars\.AWS_[A-Z_]+_ROLE_ARN \}\}$/);
                    expect(job.permissions?.["id-token"], `${file} ${name}`).to.equal("write");
                }
            }
        }
    });

    it("pull requests: npm ci and npm test, then a preview of dev and prod with the policy pack, commented on the PR", () => {
        const doc = load("pull-request.yml");
        expect(Object.keys(doc.on)).to.deep.equal(["pull_request"]);
        expect(runs(doc.jobs.test)).to.include("npm ci").and.include("npm test").and.include("--policy");
        const preview = doc.jobs.preview;
        expect(preview.needs).to.equal("test");
        expect(preview.strategy.matrix.stack).to.deep.equal(["dev", "prod"]);
        const [pulumi] = stepsUsing(preview, "pulumi/actions");
        expect(pulumi.with).to.include({ command: "preview", policyPacks: "policies", "comment-on-pr": true });
        expect(runs(preview)).to.include("npm ci --prefix policies");
        expect(preview.permissions["pull-requests"]).to.equal("write");
    });

    it("merge to main: up for dev, then prod behind the prod environment", () => {
        const doc = load("deploy.yml");
        expect(doc.on.push.branches).to.deep.equal(["main"]);
        expect(doc.jobs.dev.needs).to.equal("test");
        expect(doc.jobs.prod.needs).to.equal("dev");
        expect(doc.jobs.prod.environment).to.equal("prod");
        for (const stack of ["dev", "prod"]) {
            const [pulumi] = stepsUsing(doc.jobs[stack], "pulumi/actions");
            expect(pulumi.with).to.include({ command: "up", policyPacks: "policies", "stack-name": `\${{ vars.PULUMI_ORG }}/${stack}` });
        }
        expect(doc.concurrency["cancel-in-progress"]).to.equal(false);
    });

    it("deploy: after each pulumi up, a step follows the rollout with status --watch --timeout, and its exit code gates the job", () => {
        const doc = load("deploy.yml");
        for (const stack of ["dev", "prod"]) {
            const job = doc.jobs[stack];
            const steps = job.steps as Doc[];
            const up = steps.findIndex((s: Doc) => typeof s.uses === "string" && s.uses.startsWith("pulumi/actions@") && s.with?.command === "up");
            const access = steps.findIndex((s: Doc) => s.name === "Consul access");
            const follow = steps.findIndex((s: Doc) => typeof s.run === "string" && s.run.includes("npm run flip -- status"));
            expect([up, access, follow].every((i) => i >= 0), stack).to.equal(true);
            // pulumi up, then Consul's credentials from the stack, then the watch.
            expect(up, stack).to.be.lessThan(access);
            expect(access, stack).to.be.lessThan(follow);
            const step = steps[follow];
            expect(step.run.trim(), stack).to.equal(`npm run flip -- status --stack ${stack} --watch --timeout 2h`);
            // A non-zero exit fails the job: no continue-on-error, no `|| ...` swallowing the code, no condition that skips it.
            expect(step["continue-on-error"], stack).to.equal(undefined);
            expect(job["continue-on-error"], stack).to.equal(undefined);
            expect(step.if, stack).to.equal(undefined);
            expect(step.run, stack).to.not.match(/\|\||;\s*true|set \+e/);
            expect(step.shell, stack).to.equal(undefined);
            // The job outlives pulumi up (an hour, as before) plus the watch's timeout.
            expect(job["timeout-minutes"], stack).to.be.at.least(60 + 120);
            // pulumi up itself does not follow (the stack is free while the rollout bakes).
            expect(JSON.stringify(job), stack).to.not.include("BLUEGREEN_ROLLOUT_FOLLOW");
            const access_ = steps[access];
            expect(access_.env.STACK, stack).to.equal(`\${{ vars.PULUMI_ORG }}/${stack}`);
            expect(access_.run, stack).to.include("CONSUL_HTTP_TOKEN_FILE=$token_file").and.include("operatorTokenSecretArn");
            const forget = steps.findIndex((s: Doc) => s.name === "Forget the Consul credentials");
            expect(forget, stack).to.be.greaterThan(follow);
            expect(steps[forget].if, stack).to.equal("always()");
        }
        // prod deploys only once dev's job, its watch included, succeeded.
        expect(doc.jobs.prod.needs).to.equal("dev");
    });

    it("flip: a manual workflow that sets the desired split (a pull request) or controls the running rollout", () => {
        const doc = load("flip.yml");
        const inputs = doc.on.workflow_dispatch.inputs;
        expect(Object.keys(inputs)).to.include.members(["stack", "action", "services", "colour", "reason"]);
        expect(inputs.stack.options).to.deep.equal(["dev", "prod"]);
        expect(inputs.action.options).to.deep.equal(["set", "rollback", "status", "pause", "resume", "promote", "promote-full", "abort"]);
        expect(inputs.colour.options).to.deep.equal(["blue", "green"]);
        const script = runs(doc.jobs.flip);
        expect(script).to.include('args=(set --stack "$STACK" --to "$COLOUR" --yes)');
        expect(script).to.include('npm run flip -- "${args[@]}"');
        expect(script).to.include('npm run flip -- "$ACTION" --stack "$STACK" --yes');
        // Commands address the services' rollouts (several may run); the emergency rollback comes back as a pull request.
        expect(script).to.include('for name in "${names[@]}"; do selection+=(--service "$name"); done');
        expect(script).to.include('npm run flip -- rollback --stack "$STACK" --yes --reason "${REASON:-flip workflow}" "${selection[@]}"');
        const pr = doc.jobs.flip.steps.find((s: Doc) => s.name === "Open a pull request with the desired split");
        expect(pr.if).to.equal("always() && (inputs.action == 'set' || inputs.action == 'rollback')");
        expect(script).to.include('npm run flip -- promote --full --stack "$STACK" --yes');
        expect(doc.jobs.flip.environment).to.equal("${{ inputs.stack }}");
        // Inputs reach the shell through the environment only, never spliced into a script.
        expect(script).to.not.match(/\$\{\{\s*inputs\./);
    });

    it("run every job that reaches a stack on a runner inside that stack's VPC", () => {
        expect(load("pull-request.yml").jobs.preview["runs-on"]).to.deep.equal(["self-hosted", "linux", "bluegreen-${{ matrix.stack }}"]);
        expect(load("deploy.yml").jobs.prod["runs-on"]).to.deep.equal(["self-hosted", "linux", "bluegreen-prod"]);
        expect(load("flip.yml").jobs.flip["runs-on"]).to.deep.equal(["self-hosted", "linux", "bluegreen-${{ inputs.stack }}"]);
    });
});
