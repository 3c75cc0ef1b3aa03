// The pack as the Pulumi CLI runs it: policies/index.ts started as its own process, serving
// @pulumi/policy's analyzer over gRPC on a loopback port, asked for its policies and to analyze a
// stack. This is the same path `pulumi preview --policy-pack ./policies` takes, minus the CLI.
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { AnalyzerInfo, AnalyzerResource, AnalyzerResourceOptions, AnalyzeResponse, AnalyzeStackRequest, EnforcementLevel } from "@pulumi/pulumi/proto/analyzer_pb";
import { mockId } from "../../src/offline/mockOutputs";
import { policies } from "../../policies/rules";
import { resource, safeStack } from "../support/policyFixtures";
import { TYPESCRIPT } from "../support/harness";
import { T } from "../support/typeTokens";

const POLICIES_DIR = path.join(__dirname, "..", "..", "policies");

function startPack(): Promise<{ child: ChildProcess; port: number }> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [...TYPESCRIPT, "index.ts"], { cwd: POLICIES_DIR, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout!.on("data", (d: Buffer) => {
            out += d.toString();
            const port = /^(\d+)\s*$/m.exec(out)?.[1];
            if (port) {
                resolve({ child, port: Number(port) });
            }
        });
        child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
        child.on("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${err}`)));
    });
}

function unary<Req, Res>(call: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, request: Req): Promise<Res> {
    return new Promise((resolve, reject) => call(request, (err, res) => (err ? reject(err) : resolve(res))));
}

describe("the policy pack served by @pulumi/policy", function () {
    this.timeout(30000);
    let child: ChildProcess;
    let client: AnalyzerClient;

    before(async () => {
        const started = await startPack();
        child = started.child;
        client = new AnalyzerClient(`127.0.0.1:${started.port}`, grpc.credentials.createInsecure());
    });
    after(() => {
        client?.close();
        if (child?.pid !== undefined && child.exitCode === null) {
            child.kill("SIGTERM");
        }
    });

    it("announces every rule with its enforcement level", async () => {
        const info = await unary<Empty, AnalyzerInfo>(client.getAnalyzerInfo.bind(client), new Empty());
        expect(info.getName()).to.equal("bluegreen");
        expect(info.getVersion()).to.equal("0.1.0");
        const announced = info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]);
        const expected = policies.map((p) => [p.name, p.enforcementLevel === "advisory" ? EnforcementLevel.ADVISORY : EnforcementLevel.MANDATORY]);
        expect(announced).to.deep.equal(expected);
    });

    it("analyzes a stack and reports a mandatory violation with the rule's name", async () => {
        const records = [...safeStack("prod"), resource(T.ingress, "sg-servers-in-tcp8500-anywhere", { securityGroupId: mockId("sg-servers"), cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 8500, toPort: 8500 })];
        const request = new AnalyzeStackRequest();
        request.setResourcesList(
            records.map((r) => {
                const res = new AnalyzerResource();
                res.setType(r.type);
                res.setName(r.name);
                res.setUrn(r.urn);
                res.setProperties(Struct.fromJavaScript({ ...r.inputs, id: mockId(r.name) } as never));
                res.setDependenciesList([...(r.dependsOn ?? [])]);
                res.setOptions(new AnalyzerResourceOptions());
                return res;
            }),
        );
        const response = await unary<AnalyzeStackRequest, AnalyzeResponse>(client.analyzeStack.bind(client), request);
        const diagnostics = response.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getEnforcementlevel(), d.getUrn()]);
        const urn = records[records.length - 1].urn;
        expect(diagnostics).to.deep.equal([
            ["no-open-ingress", EnforcementLevel.MANDATORY, urn],
            ["consul-ports-inside-vpc", EnforcementLevel.MANDATORY, urn],
        ]);
    });
});
