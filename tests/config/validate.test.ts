// Stack config validation: one row per way a stack file can be wrong, each asserting the message
// names the key path, the bad value and what is allowed. Pure: validateStackConfig needs no runtime.
import { expect } from "chai";
import { ConfigProblem, validateStackConfig } from "../../src/config";
import { services, stackConfig } from "../support/harness";
import { StackValues } from "../../src/offline/stackFile";
import { parseStackValues } from "../../src/offline/stackFile";

function validate(stack: string, config: StackValues) {
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) {
        if (key.startsWith("bluegreen:")) {
            values[key.slice("bluegreen:".length)] = value;
        }
    }
    return validateStackConfig({ project: "bluegreen", stack, region: config["aws:region"], values });
}

function problemsOf(stack: string, edit: (c: StackValues) => void): ConfigProblem[] {
    const config = stackConfig(stack === "prod" ? "prod" : "dev");
    edit(config);
    const result = validate(stack, config);
    return result.ok ? [] : result.problems;
}

interface Case {
    readonly name: string;
    readonly stack?: string;
    readonly edit: (c: StackValues) => void;
    readonly path: string;
    /** Every fragment must appear in the message for `path`. */
    readonly says: readonly (string | RegExp)[];
}

const S = services;

const cases: Case[] = [
    { name: "weight not a number", edit: (c) => (S(c).orders.traffic.blue = "all"), path: "bluegreen:services.orders.traffic.blue", says: ['"all"', "not a number", "0 to 100"] },
    { name: "weight above 100", edit: (c) => (S(c).orders.traffic = { blue: 120, green: -20 }), path: "bluegreen:services.orders.traffic.blue", says: ["120", "outside 0..100"] },
    { name: "weight below 0", edit: (c) => (S(c).orders.traffic = { blue: 120, green: -20 }), path: "bluegreen:services.orders.traffic.green", says: ["-20", "outside 0..100"] },
    { name: "more than 2 decimals", edit: (c) => (S(c).orders.traffic = { blue: 33.333, green: 66.667 }), path: "bluegreen:services.orders.traffic.blue", says: ["33.333", "more than 2 decimals"] },
    { name: "sum not 100", edit: (c) => (S(c).orders.traffic = { blue: 50, green: 40 }), path: "bluegreen:services.orders.traffic", says: ["sum to 90", "exactly 100"] },
    { name: "sum off by a hundredth", edit: (c) => (S(c).orders.traffic = { blue: 50.01, green: 50 }), path: "bluegreen:services.orders.traffic", says: ["sum to 100.01"] },
    { name: "missing weight", edit: (c) => (S(c).orders.traffic = { blue: 100 }), path: "bluegreen:services.orders.traffic.green", says: ["is required"] },
    {
        name: "weight on a colour with count 0",
        edit: (c) => {
            S(c).orders.green.count = 0;
            S(c).orders.traffic = { blue: 0, green: 100 };
        },
        path: "bluegreen:services.orders.traffic.green",
        says: ["100", "count 0", "set its weight to 0"],
    },
    {
        name: "weight on a colour without an image",
        edit: (c) => {
            delete S(c).orders.green.image;
            S(c).orders.traffic = { blue: 90, green: 10 };
        },
        path: "bluegreen:services.orders.traffic.green",
        says: ["10", "no image"],
    },
    { name: "typo in a service key", edit: (c) => (S(c).orders.upstream = []), path: "bluegreen:services.orders.upstream", says: ["unknown key", "upstreams"] },
    { name: "typo in a colour key", edit: (c) => (S(c).orders.blue.imag = "x"), path: "bluegreen:services.orders.blue.imag", says: ["unknown key", "image, count, env, secrets"] },
    { name: "typo in a top-level key", edit: (c) => (c["bluegreen:servics"] = {}), path: "bluegreen:servics", says: ["unknown key", "bluegreen:services"] },
    { name: "typo in consul servers", edit: (c) => ((c["bluegreen:consul"] as { servers: Record<string, unknown> }).servers.mdoe = "ha"), path: "bluegreen:consul.servers.mdoe", says: ["unknown key", "mode"] },
    { name: "uppercase service name", edit: (c) => (S(c).Orders = S(c).orders), path: "bluegreen:services.Orders", says: ['"Orders"', "lowercase"] },
    { name: "bad characters in service name", edit: (c) => (S(c)["or_ders"] = S(c).orders), path: "bluegreen:services.or_ders", says: ['"or_ders"', "not valid in Consul"] },
    { name: "service name over 63 characters", edit: (c) => (S(c)["a".repeat(64)] = S(c).inventory), path: `bluegreen:services.${"a".repeat(64)}`, says: ["1-63"] },
    { name: "service name too long for its IAM roles", edit: (c) => (S(c)["a".repeat(41)] = S(c).inventory), path: `bluegreen:services.${"a".repeat(41)}`, says: ["41 characters", "at most 40", "IAM"] },
    { name: "route for every path", edit: (c) => (S(c).orders.route.pathPrefix = "/"), path: "bluegreen:services.orders.route.pathPrefix", says: ['"/" would route every path', "health check"] },
    { name: "service port reserved", edit: (c) => (S(c).inventory.port = 20000), path: "bluegreen:services.inventory.port", says: ["20000", "reserved by the mesh"] },
    { name: "service port in the Consul range", edit: (c) => (S(c).inventory.port = 8502), path: "bluegreen:services.inventory.port", says: ["8502", "reserved"] },
    { name: "upstream local port reserved", edit: (c) => (S(c).orders.upstreams[0].localPort = 19000), path: "bluegreen:services.orders.upstreams[0].localPort", says: ["19000", "reserved"] },
    { name: "upstream port collides with service port", edit: (c) => (S(c).orders.upstreams[0].localPort = 9090), path: "bluegreen:services.orders.upstreams[0].localPort", says: ["9090", "already used by bluegreen:services.orders.port"] },
    {
        name: "two upstreams on one port",
        edit: (c) => {
            S(c).payments = structuredClone(S(c).inventory);
            S(c).orders.upstreams.push({ service: "payments", localPort: 9001 });
        },
        path: "bluegreen:services.orders.upstreams[1].localPort",
        says: ["9001", "upstreams[0].localPort"],
    },
    { name: "port out of range", edit: (c) => (S(c).inventory.port = 70000), path: "bluegreen:services.inventory.port", says: ["70000", "<= 65535"] },
    { name: "upstream names an unknown service", edit: (c) => (S(c).orders.upstreams[0].service = "inventroy"), path: "bluegreen:services.orders.upstreams[0].service", says: ['"inventroy"', "not a service", "inventory, orders"] },
    { name: "upstream names the service itself", edit: (c) => (S(c).orders.upstreams[0].service = "orders"), path: "bluegreen:services.orders.upstreams[0].service", says: ["itself"] },
    { name: "route without a leading slash", edit: (c) => (S(c).orders.route.pathPrefix = "api/v1/orders"), path: "bluegreen:services.orders.route.pathPrefix", says: ['"api/v1/orders"', 'start with "/"'] },
    { name: "two services on one route", edit: (c) => (S(c).inventory.route = { pathPrefix: "/api/v1/orders/" }), path: "bluegreen:services.orders.route.pathPrefix", says: ['"/api/v1/orders"', "already the route of inventory"] },
    { name: "Fargate memory not offered for the cpu", edit: (c) => (S(c).orders.memory = 4096), path: "bluegreen:services.orders.memory", says: ["4096", "cpu 256", "512, 1024, 2048"] },
    { name: "Fargate cpu not offered", edit: (c) => (S(c).orders.cpu = 300), path: "bluegreen:services.orders.cpu", says: ["300", "256, 512, 1024"] },
    { name: "gateway task size not offered", edit: (c) => ((c["bluegreen:gateway"] as Record<string, unknown>).memory = 100), path: "bluegreen:gateway.memory", says: ["100"] },
    { name: "ha with an even count", stack: "prod", edit: (c) => ((c["bluegreen:consul"] as { servers: Record<string, unknown> }).servers.count = 4), path: "bluegreen:consul.servers.count", says: ["4", "odd count of at least 3"] },
    { name: "ha with one server", stack: "prod", edit: (c) => ((c["bluegreen:consul"] as { servers: Record<string, unknown> }).servers.count = 1), path: "bluegreen:consul.servers.count", says: ["1 servers", "at least 3"] },
    { name: "dev servers in prod", stack: "prod", edit: (c) => ((c["bluegreen:consul"] as { servers: Record<string, unknown> }).servers = { mode: "dev", count: 1 }), path: "bluegreen:consul.servers.mode", says: ['"dev"', '"prod"', "mode: ha"] },
    { name: "unknown server mode", edit: (c) => ((c["bluegreen:consul"] as { servers: Record<string, unknown> }).servers.mode = "cluster"), path: "bluegreen:consul.servers.mode", says: ['"cluster"', '"dev", "ha"'] },
    { name: "VPC CIDR not a CIDR", edit: (c) => ((c["bluegreen:network"] as Record<string, unknown>).cidr = "10.40.0.0"), path: "bluegreen:network.cidr", says: ['"10.40.0.0"', "not an IPv4 CIDR"] },
    { name: "VPC CIDR with host bits", edit: (c) => ((c["bluegreen:network"] as Record<string, unknown>).cidr = "10.40.1.0/16"), path: "bluegreen:network.cidr", says: ["host bits", "10.40.0.0/16"] },
    { name: "VPC CIDR octet out of range", edit: (c) => ((c["bluegreen:network"] as Record<string, unknown>).cidr = "10.400.0.0/16"), path: "bluegreen:network.cidr", says: ["out of range"] },
    { name: "ingress CIDR invalid", edit: (c) => ((c["bluegreen:gateway"] as Record<string, unknown>).ingressCidrs = ["0.0.0.0/0", "1.2.3.4/40"]), path: "bluegreen:gateway.ingressCidrs[1]", says: ['"1.2.3.4/40"'] },
    { name: "preview CIDR invalid", edit: (c) => ((c["bluegreen:gateway"] as Record<string, unknown>).previewCidrs = ["203.0.113.0/24", "203.0.113.7"]), path: "bluegreen:gateway.previewCidrs[1]", says: ['"203.0.113.7"', "not an IPv4 CIDR"] },
    { name: "preview CIDR for the whole internet", edit: (c) => ((c["bluegreen:gateway"] as Record<string, unknown>).previewCidrs = ["0.0.0.0/0"]), path: "bluegreen:gateway.previewCidrs[0]", says: ['"0.0.0.0/0"', "wider than a /8", "operators' own networks"] },
    {
        name: "more preview CIDRs than the listener rules hold",
        edit: (c) => ((c["bluegreen:gateway"] as Record<string, unknown>).previewCidrs = Array.from({ length: 31 }, (_, i) => `10.${i}.0.0/16`)),
        path: "bluegreen:gateway.previewCidrs",
        says: ["31 CIDRs", "at most 30"],
    },
    { name: "azCount out of range", edit: (c) => ((c["bluegreen:network"] as Record<string, unknown>).azCount = 7), path: "bluegreen:network.azCount", says: ["7", "<= 6"] },
    { name: "ha servers in 2 zones", stack: "prod", edit: (c) => ((c["bluegreen:network"] as Record<string, unknown>).azCount = 2), path: "bluegreen:network.azCount", says: ["at least 3 availability zones, got 2", "azCount to 3"] },
    {
        name: "ha servers in 2 own subnets",
        stack: "prod",
        edit: (c) => (c["bluegreen:network"] = { vpcId: "vpc-0abc", privateSubnetIds: ["subnet-0a", "subnet-0b"], publicSubnetIds: ["subnet-1a", "subnet-1b"] }),
        path: "bluegreen:network.privateSubnetIds",
        says: ["at least 3 availability zones, got 2"],
    },
    {
        name: "snapshot schedule with a systemd directive",
        stack: "prod",
        edit: (c) => ((c["bluegreen:consul"] as { servers: Record<string, unknown> }).servers.snapshotSchedule = "hourly\nExecStart=/bin/sh"),
        path: "bluegreen:consul.servers.snapshotSchedule",
        says: ["not a systemd OnCalendar expression", '"hourly"'],
    },
    { name: "one gateway task with ha servers", stack: "prod", edit: (c) => ((c["bluegreen:gateway"] as Record<string, unknown>).count = 1), path: "bluegreen:gateway.count", says: ["single point of failure", "2 or more"] },
    {
        name: "service named like a consul-ecs container",
        edit: (c) => {
            S(c)["consul-dataplane"] = S(c).inventory;
            delete S(c).inventory;
            S(c).orders.upstreams = [];
        },
        path: "bluegreen:services.consul-dataplane",
        says: ["taken by the mesh itself", "api-gateway", "rename the service"],
    },
    {
        name: "service named like the API gateway",
        edit: (c) => {
            S(c)["api-gateway"] = S(c).inventory;
            delete S(c).inventory;
            S(c).orders.upstreams = [];
        },
        path: "bluegreen:services.api-gateway",
        says: ["taken by the mesh itself"],
    },
    { name: "health check path with a quote", edit: (c) => (S(c).orders.healthCheck.path = "/health' ; rm -rf /"), path: "bluegreen:services.orders.healthCheck.path", says: ["not a plain URL path", "no quotes, spaces"] },
    { name: "NAT strategy unknown", edit: (c) => ((c["bluegreen:network"] as Record<string, unknown>).natGateways = "none"), path: "bluegreen:network.natGateways", says: ['"none"', '"single", "perAz"'] },
    {
        name: "both network forms",
        edit: (c) => ((c["bluegreen:network"] as Record<string, unknown>).vpcId = "vpc-0abc"),
        path: "bluegreen:network",
        says: ["both forms", "not both"],
    },
    { name: "own VPC without subnets", edit: (c) => (c["bluegreen:network"] = { vpcId: "vpc-0abc" }), path: "bluegreen:network.privateSubnetIds", says: ["required"] },
    { name: "count not a whole number", edit: (c) => (S(c).orders.blue.count = 1.5), path: "bluegreen:services.orders.blue.count", says: ["1.5", "integer"] },
    { name: "secret that is not an ARN", edit: (c) => (S(c).orders.secrets = { DB_PASSWORD: "hunter2" }), path: "bluegreen:services.orders.secrets.DB_PASSWORD", says: ["not a Secrets Manager secret ARN"] },
    { name: "missing region", edit: (c) => delete c["aws:region"], path: "aws:region", says: ["required"] },
    { name: "gate failure threshold 0", edit: (c) => (S(c).orders.gate = { failureThreshold: 0 }), path: "bluegreen:services.orders.gate.failureThreshold", says: ["0", ">= 1"] },
    { name: "rollout step not a number", edit: (c) => (S(c).orders.rollout = { steps: ["ten"] }), path: "bluegreen:services.orders.rollout.steps[0]", says: ['"ten"', "steps are percents"] },
    { name: "rollout step 100 or more", edit: (c) => (S(c).orders.rollout = { steps: [10, 100] }), path: "bluegreen:services.orders.rollout.steps[1]", says: ["100", "between 0 and 100", "always 100"] },
    { name: "rollout steps not rising", edit: (c) => (S(c).orders.rollout = { steps: [50, 20] }), path: "bluegreen:services.orders.rollout.steps[1]", says: ["20", "step before it (50)", "increasing order"] },
    { name: "rollout step with 3 decimals", edit: (c) => (S(c).orders.rollout = { steps: [12.345] }), path: "bluegreen:services.orders.rollout.steps[0]", says: ["12.345", "2 decimals"] },
    { name: "rollout check interval too short", edit: (c) => (S(c).orders.rollout = { checkIntervalSeconds: 1 }), path: "bluegreen:services.orders.rollout.checkIntervalSeconds", says: ["1", ">= 5"] },
    { name: "rollout bake shorter than a check", edit: (c) => (S(c).orders.rollout = { bakeSeconds: 10, checkIntervalSeconds: 30 }), path: "bluegreen:services.orders.rollout.bakeSeconds", says: ["10", "checkIntervalSeconds (30)", "at least one check"] },
    { name: "rollout unknown key", edit: (c) => (S(c).orders.rollout = { bake: "5m" }), path: "bluegreen:services.orders.rollout.bake", says: ["bake"] },
    { name: "gate stricter than the count", edit: (c) => (S(c).orders.gate = { minHealthy: 3 }), path: "bluegreen:services.orders.gate.minHealthy", says: ["3", "count of 1", "never pass"] },
    { name: "analysis that judges nothing", edit: (c) => (S(c).orders.gate = { analysis: { minRequests: 50 } }), path: "bluegreen:services.orders.gate.analysis", says: ["judges nothing", "maxErrorRateIncrease", "maxLatencyRatio"] },
    { name: "analysis error increase negative", edit: (c) => (S(c).orders.gate = { analysis: { maxErrorRateIncrease: -1 } }), path: "bluegreen:services.orders.gate.analysis.maxErrorRateIncrease", says: ["-1", ">= 0"] },
    { name: "analysis error increase over 100 points", edit: (c) => (S(c).orders.gate = { analysis: { maxErrorRateIncrease: 150 } }), path: "bluegreen:services.orders.gate.analysis.maxErrorRateIncrease", says: ["150", "<= 100"] },
    { name: "analysis error increase not a number", edit: (c) => (S(c).orders.gate = { analysis: { maxErrorRateIncrease: "1%" } }), path: "bluegreen:services.orders.gate.analysis.maxErrorRateIncrease", says: ['"1%"', "not a number"] },
    { name: "analysis latency ratio below 1", edit: (c) => (S(c).orders.gate = { analysis: { maxLatencyRatio: 0.5 } }), path: "bluegreen:services.orders.gate.analysis.maxLatencyRatio", says: ["0.5", ">= 1"] },
    { name: "analysis minRequests not a whole number", edit: (c) => (S(c).orders.gate = { analysis: { maxLatencyRatio: 2, minRequests: 10.5 } }), path: "bluegreen:services.orders.gate.analysis.minRequests", says: ["10.5", "integer"] },
    { name: "analysis minRequests 0", edit: (c) => (S(c).orders.gate = { analysis: { maxLatencyRatio: 2, minRequests: 0 } }), path: "bluegreen:services.orders.gate.analysis.minRequests", says: ["0", ">= 1"] },
    { name: "analysis window in seconds", edit: (c) => (S(c).orders.gate = { analysis: { maxLatencyRatio: 2, window: "90s" } }), path: "bluegreen:services.orders.gate.analysis.window", says: ['"90s"', "whole minutes from 1m to 1h", '"5m"'] },
    { name: "analysis window over an hour", edit: (c) => (S(c).orders.gate = { analysis: { maxLatencyRatio: 2, window: "2h" } }), path: "bluegreen:services.orders.gate.analysis.window", says: ['"2h"', "1m to 1h"] },
    { name: "analysis window 0", edit: (c) => (S(c).orders.gate = { analysis: { maxLatencyRatio: 2, window: "0m" } }), path: "bluegreen:services.orders.gate.analysis.window", says: ['"0m"'] },
    { name: "analysis window not a string", edit: (c) => (S(c).orders.gate = { analysis: { maxLatencyRatio: 2, window: 5 } }), path: "bluegreen:services.orders.gate.analysis.window", says: ["5", "not a string"] },
    { name: "analysis unknown key", edit: (c) => (S(c).orders.gate = { analysis: { maxLatencyRatio: 2, p99: 3 } }), path: "bluegreen:services.orders.gate.analysis.p99", says: ["unknown key", "maxErrorRateIncrease, maxLatencyRatio, minRequests, window"] },
    {
        name: "gate stricter than the idle colour's count (a flip to it could never pass)",
        edit: (c) => {
            S(c).orders.blue.count = 3;
            S(c).orders.gate = { minHealthy: 2 };
        },
        path: "bluegreen:services.orders.gate.minHealthy",
        says: ["2 is more than green's count of 1", "a flip to green could never pass", "lower gate.minHealthy or raise green's count"],
    },
    ...["production", "prd", "prod-eu", "eu_prod2", "live", "Production"].map((stack) => ({
        name: `dev servers in a stack named ${stack}`,
        stack,
        edit: (c: StackValues) => ((c["bluegreen:consul"] as { servers: Record<string, unknown> }).servers = { mode: "dev", count: 1 }),
        path: "bluegreen:consul.servers.mode",
        says: ['"dev"', `"${stack}"`, "production", "mode: ha"],
    })),
    { name: "a region that does not exist", edit: (c) => (c["aws:region"] = "mars-north-9"), path: "aws:region", says: ['"mars-north-9" is not an AWS region', "eu-west-1"] },
    { name: "a region with a typo", edit: (c) => (c["aws:region"] = "eu-west1"), path: "aws:region", says: ['"eu-west1" is not an AWS region', 'did you mean "eu-west-1"?'] },
    {
        name: "an image reference with colons, an uppercase name and a short digest",
        edit: (c) => (S(c).orders.green.image = "Name:::tag@sha256:zz"),
        path: "bluegreen:services.orders.green.image",
        says: ['"Name:::tag@sha256:zz" is not an image reference', "lowercase", "the digest after @", "64 hexadecimal digits"],
    },
    { name: "an image reference with a space", edit: (c) => (S(c).orders.blue.image = "my image:1"), path: "bluegreen:services.orders.blue.image", says: ['"my image:1" is not an image reference', "contains a space"] },
    { name: "an image tag that starts with a dot", edit: (c) => (S(c).orders.blue.image = "orders:.1"), path: "bluegreen:services.orders.blue.image", says: ["the tag", "letters, digits"] },
    { name: "a consul image that is no reference", edit: (c) => ((c["bluegreen:consul"] as Record<string, unknown>).dataplaneImage = "hashicorp//consul-dataplane"), path: "bluegreen:consul.dataplaneImage", says: ["is not an image reference"] },
    {
        name: "an AWS secret key in plain env",
        edit: (c) => (S(c).orders.env.AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        path: "bluegreen:services.orders.env.AWS_SECRET_ACCESS_KEY",
        says: ["its name says it holds a secret", "in clear", "bluegreen:services.orders.secrets.AWS_SECRET_ACCESS_KEY", "Secrets Manager"],
    },
    { name: "a token in a colour's plain env", edit: (c) => (S(c).orders.green.env.GITHUB_TOKEN = "ghp_x"), path: "bluegreen:services.orders.green.env.GITHUB_TOKEN", says: ["its name says it holds a secret", "secrets"] },
    {
        name: "a private key in plain env",
        edit: (c) => (S(c).orders.env.TLS = "-----BEGIN PRIVATE KEY-----\nMII...\n-----END PRIVATE KEY-----\n"),
        path: "bluegreen:services.orders.env.TLS",
        says: ["its value is a private key", "secrets"],
    },
    {
        name: "a secure: value under env",
        edit: (c) => (S(c).orders.env.DB_URL = { secure: "v1:abcdEFGH1234" }),
        path: "bluegreen:services.orders.env.DB_URL",
        says: ["is a secure: value", "decrypt", "in clear", "secrets"],
    },
    {
        name: "a whole env written as a secure: value",
        edit: (c) => (S(c).orders.blue.env = { secure: "v1:abcdEFGH1234" }),
        path: "bluegreen:services.orders.blue.env",
        says: ["is a secure: value", "secrets"],
    },
];

describe("stack config validation", () => {
    it("accepts both example stacks", () => {
        for (const stack of ["dev", "prod"]) {
            const result = validate(stack, stackConfig(stack));
            expect(result.ok, JSON.stringify(result)).to.equal(true);
        }
    });

    for (const c of cases) {
        it(`rejects: ${c.name}`, () => {
            const problems = problemsOf(c.stack ?? "dev", c.edit);
            const atPath = problems.filter((p) => p.path === c.path);
            expect(atPath, `no problem at ${c.path}; got ${JSON.stringify(problems, null, 1)}`).to.not.be.empty;
            const message = atPath.map((p) => p.message).join(" | ");
            for (const fragment of c.says) {
                if (typeof fragment === "string") {
                    expect(message).to.include(fragment);
                } else {
                    expect(message).to.match(fragment);
                }
            }
        });
    }

    it("refuses services that Pulumi marks secret: a secure: value reached the program decrypted", () => {
        const config = stackConfig("dev");
        const values = Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith("bluegreen:")).map(([k, v]) => [k.slice("bluegreen:".length), v]));
        const marked = validateStackConfig({ project: "bluegreen", stack: "dev", region: "eu-west-1", values, secretKeys: ["bluegreen:services"] });
        expect(marked.ok).to.equal(false);
        const problems = marked.ok ? [] : marked.problems;
        expect(problems.map((p) => p.path)).to.deep.equal(["bluegreen:services"]);
        expect(problems[0].message).to.include("holds a secure: value").and.to.include("`secrets`");
        expect(validateStackConfig({ project: "bluegreen", stack: "dev", region: "eu-west-1", values, secretKeys: ["bluegreen:other"] }).ok).to.equal(true);
    });

    it("reports every problem at once", () => {
        const problems = problemsOf("dev", (c) => {
            S(c).orders.traffic = { blue: 50, green: 40 };
            S(c).inventory.port = 20000;
            S(c).orders.blue.imag = "typo";
            (c["bluegreen:network"] as Record<string, unknown>).cidr = "nonsense";
        });
        const paths = problems.map((p) => p.path);
        expect(paths).to.include.members([
            "bluegreen:services.inventory.port",
            "bluegreen:services.orders.blue.imag",
            "bluegreen:network.cidr",
        ]);
    });

    it("applies the documented defaults", () => {
        const config = parseStackValues("dev", stackConfig("dev"));
        const orders = config.services.find((s) => s.name === "orders");
        expect(orders?.protocol).to.equal("http");
        expect(orders?.gate).to.deep.equal({ minHealthy: undefined, skip: false, alarms: [], failureThreshold: 3 });
        expect(orders?.rollout).to.deep.equal({ steps: [], bakeSeconds: 0, bakeEachStep: true, checkIntervalSeconds: 15, readyTimeoutSeconds: 300, sticky: false });
        expect(orders?.enableExecuteCommand).to.equal(false);
        expect(config.consul.ecsImage).to.equal("public.ecr.aws/hashicorp/consul-ecs:0.10.0");
        expect(config.consul.dataplaneImage).to.equal("public.ecr.aws/hashicorp/consul-dataplane:2.0.1");
        expect(config.consul.devServerImage).to.equal("public.ecr.aws/hashicorp/consul:2.0.1");
        expect(config.gateway.count).to.equal(1);
        expect(config.gateway.previewCidrs).to.deep.equal([]);
        expect(config.logRetentionDays).to.equal(30);
        expect(parseStackValues("prod", stackConfig("prod")).gateway.count).to.equal(2);
    });

    it("reads gate.analysis with its defaults (100 requests, a 5-minute window) and leaves it out when absent", () => {
        const config = stackConfig("dev");
        S(config).orders.gate = { analysis: { maxErrorRateIncrease: 0.5, maxLatencyRatio: 1.2 } };
        S(config).inventory.gate = { analysis: { maxLatencyRatio: 2, minRequests: 20, window: "1h" } };
        const parsed = parseStackValues("dev", config);
        const gateOf = (name: string) => parsed.services.find((s) => s.name === name)?.gate.analysis;
        expect(gateOf("orders")).to.deep.equal({ maxErrorRateIncrease: 0.5, maxLatencyRatio: 1.2, minRequests: 100, windowSeconds: 300 });
        expect(gateOf("inventory")).to.deep.equal({ maxErrorRateIncrease: undefined, maxLatencyRatio: 2, minRequests: 20, windowSeconds: 3600 });
        expect(parseStackValues("dev", stackConfig("dev")).services[0].gate.analysis).to.equal(undefined);
    });

    it("keeps services in the order of the stack file", () => {
        expect(parseStackValues("dev", stackConfig("dev")).services.map((s) => s.name)).to.deep.equal(["inventory", "orders"]);
    });
});
