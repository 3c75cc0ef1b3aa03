// Issue 18's families of stack files that cannot deploy: each row breaks a copy of an example stack
// file one way and expects the problem at the key's path, saying what is wrong and what is allowed;
// each family also has rows of neighbouring values that must pass, so that a check refusing
// everything fails as surely as one refusing nothing. Checked through parseStackValues, the path
// `npm run plan` and the preflight take, which validates with the program's own function.
import { expect } from "chai";
import { ConfigProblem, StackConfigError } from "../../src/config";
import { ARM64_FAMILIES, architectureOf, familyOf, INSTANCE_TYPES } from "../../src/config/instanceTypes";
import { MAX_STACK_NAME } from "../../src/config/stackName";
import { calendarProblem } from "../../src/config/systemdCalendar";
import { parseStackValues, StackValues } from "../../src/offline/stackFile";
import { services, stackConfig } from "../support/harness";

const S = services;
type Edit = (c: StackValues) => void;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const consul = (c: StackValues) => c["bluegreen:consul"] as Record<string, any>;
const gateway = (c: StackValues) => c["bluegreen:gateway"] as Record<string, unknown>;
const OWN_VPC = { vpcId: "vpc-0abc", privateSubnetIds: ["subnet-01", "subnet-02", "subnet-03"], publicSubnetIds: ["subnet-11", "subnet-12"] };

function problemsOf(stack: string, edit: Edit, base: "dev" | "prod" = stack === "prod" ? "prod" : "dev"): ConfigProblem[] {
    const config = stackConfig(base);
    edit(config);
    try {
        parseStackValues(stack, config);
        return [];
    } catch (err) {
        expect(err).to.be.instanceOf(StackConfigError);
        return [...(err as StackConfigError).problems];
    }
}

interface Refused {
    readonly name: string;
    readonly stack?: string;
    readonly base?: "dev" | "prod";
    readonly edit: Edit;
    readonly path: string;
    readonly says: readonly string[];
    /** Fragments the message must not hold (a secret's value, a placeholder). */
    readonly never?: readonly string[];
}
interface Accepted {
    readonly name: string;
    readonly stack?: string;
    readonly base?: "dev" | "prod";
    readonly edit: Edit;
}

const families: Record<string, { refused: readonly Refused[]; accepted: readonly Accepted[] }> = {
    "misspelt keys, named with the intended one": {
        refused: [
            { name: "a misspelt namespace", edit: (c) => ((c["bluegren:services"] = c["bluegreen:services"]), delete c["bluegreen:services"]), path: "bluegren:services", says: ['unknown namespace "bluegren"', 'did you mean "bluegreen:services"?'] },
            { name: "a misspelt AWS setting", edit: (c) => (c["aws:regoin"] = "eu-west-1"), path: "aws:regoin", says: ["not a setting of the AWS provider", 'did you mean "aws:region"?'] },
            { name: "a misspelt AWS namespace", edit: (c) => (c["asw:region"] = "eu-west-1"), path: "asw:region", says: ['did you mean "aws:region"?'] },
            { name: "a misspelt top-level key", edit: (c) => (c["bluegreen:servcies"] = {}), path: "bluegreen:servcies", says: ['did you mean "bluegreen:services"?', "allowed keys"] },
            { name: "a misspelt consul key", edit: (c) => (consul(c).datacentre = "dc1"), path: "bluegreen:consul.datacentre", says: ['did you mean "datacenter"?', "allowed here"] },
            { name: "a misspelt server key", stack: "prod", edit: (c) => (consul(c).servers.instancetype = "t4g.small"), path: "bluegreen:consul.servers.instancetype", says: ['did you mean "instanceType"?'] },
            { name: "a misspelt gateway key", edit: (c) => (gateway(c).ingresCidrs = ["0.0.0.0/0"]), path: "bluegreen:gateway.ingresCidrs", says: ['did you mean "ingressCidrs"?'] },
            { name: "a misspelt service key", edit: (c) => (S(c).orders.healthchek = { path: "/" }), path: "bluegreen:services.orders.healthchek", says: ['did you mean "healthCheck"?'] },
            { name: "a misspelt colour key", edit: (c) => (S(c).orders.blue.imgae = "x"), path: "bluegreen:services.orders.blue.imgae", says: ['did you mean "image"?'] },
            { name: "a key too far from any", edit: (c) => (consul(c).flavour = "x"), path: "bluegreen:consul.flavour", says: ["unknown key; allowed here: datacenter"] },
        ],
        accepted: [
            { name: "other AWS provider settings", edit: (c) => ((c["aws:profile"] = "ops"), (c["aws:defaultTags"] = { tags: { team: "a" } })) },
            { name: "a namespace of another program", edit: (c) => (c["billing:owner"] = "team-a") },
        ],
    },
    "stack names that make illegal AWS and Consul names": {
        refused: [
            { name: "a dot (Lambda functions and ECS families refuse it)", stack: "prod.eu", base: "prod", edit: () => undefined, path: "stack name", says: ['"prod.eu" has "."', "Lambda function name", "ECS task definition family", "letters, digits, '-' and '_'"] },
            { name: "a non-ASCII letter", stack: "prød", base: "prod", edit: () => undefined, path: "stack name", says: ['"ø"', "ASCII"] },
            { name: "a space", stack: "my stack", edit: () => undefined, path: "stack name", says: ['" "'] },
            { name: "60 characters (the function name passes 64)", stack: "s".repeat(60), edit: () => undefined, path: "stack name", says: ["60 characters", "73, over its limit of 64", `at most ${MAX_STACK_NAME}`] },
            { name: "one character too many", stack: "s".repeat(MAX_STACK_NAME + 1), edit: () => undefined, path: "stack name", says: ["over its limit of 64"] },
        ],
        accepted: [
            { name: "the longest name that fits", stack: "s".repeat(MAX_STACK_NAME), edit: () => undefined },
            { name: "letters, digits, - and _", stack: "Eu_west-2", edit: () => undefined },
        ],
    },
    "one bad key under bluegreen:consul keeps the rest": {
        refused: [
            { name: "a bad datacenter", edit: (c) => (consul(c).datacenter = "DC 1"), path: "bluegreen:consul.datacenter", says: ['"DC 1"', "must match pattern"] },
            { name: "a bad version", edit: (c) => (consul(c).version = "latest"), path: "bluegreen:consul.version", says: ['"latest"'] },
            { name: "a bad apiAddress", edit: (c) => (consul(c).apiAddress = "localhost"), path: "bluegreen:consul.apiAddress", says: ['"localhost"'] },
        ],
        accepted: [],
    },
    "values Pulumi keeps secret, never quoted": {
        refused: [
            { name: "services given as a secret", edit: (c) => (c["bluegreen:services"] = { secure: "v1:c2VjcmV0LXBsYWNlaG9sZGVy" }), path: "bluegreen:services", says: ["is a secure: value", "Secrets Manager"], never: ["v1:", "c2VjcmV0", "mock", "[secret]"] },
            { name: "one env value given as a secret", edit: (c) => (S(c).orders.env.DB = { secure: "v1:abc" }), path: "bluegreen:services.orders.env.DB", says: ["is a secure: value"], never: ["v1:abc"] },
        ],
        accepted: [],
    },
    ".nan and .inf reported as such": {
        refused: [
            { name: "a .nan weight", edit: (c) => (S(c).orders.traffic.blue = NaN), path: "bluegreen:services.orders.traffic.blue", says: [".nan is not a number"], never: ["null"] },
            { name: "an .inf count", edit: (c) => (S(c).orders.blue.count = Infinity), path: "bluegreen:services.orders.blue.count", says: [".inf"], never: ["null"] },
            { name: "a -.inf port", edit: (c) => (S(c).orders.port = -Infinity), path: "bluegreen:services.orders.port", says: ["-.inf"], never: ["null"] },
        ],
        accepted: [],
    },
    "ports 1 to 65535": {
        refused: [
            { name: "apiAddress port 99999", edit: (c) => (consul(c).apiAddress = "localhost:99999"), path: "bluegreen:consul.apiAddress", says: ["port 99999", "1 to 65535"] },
            { name: "apiAddress port 0", edit: (c) => (consul(c).apiAddress = "localhost:0"), path: "bluegreen:consul.apiAddress", says: ["port 0"] },
            { name: "apiAddress port 65536", edit: (c) => (consul(c).apiAddress = "localhost:65536"), path: "bluegreen:consul.apiAddress", says: ["port 65536"] },
            { name: "apiAddress host with an empty label", edit: (c) => (consul(c).apiAddress = "api..internal:8501"), path: "bluegreen:consul.apiAddress", says: ["no DNS name or IPv4 address"] },
            { name: "service port 65536", edit: (c) => (S(c).orders.port = 65536), path: "bluegreen:services.orders.port", says: ["<= 65535"] },
            { name: "upstream port 0", edit: (c) => (S(c).orders.upstreams[0].localPort = 0), path: "bluegreen:services.orders.upstreams[0].localPort", says: [">= 1"] },
        ],
        accepted: [
            { name: "apiAddress localhost:8501", edit: (c) => (consul(c).apiAddress = "localhost:8501") },
            { name: "apiAddress a DNS name on 65535", edit: (c) => (consul(c).apiAddress = "consul-api.internal.example.com:65535") },
        ],
    },
    "ACM certificate in the stack's region": {
        refused: [
            { name: "a certificate of us-east-1 in an eu-west-1 stack", stack: "prod", edit: (c) => (gateway(c).certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"), path: "bluegreen:gateway.certificateArn", says: ["us-east-1", "eu-west-1 (aws:region)", "its own region"] },
            { name: "a stack moved to another region with its certificate left behind", stack: "prod", edit: (c) => (c["aws:region"] = "eu-central-1"), path: "bluegreen:gateway.certificateArn", says: ["eu-west-1", "eu-central-1"] },
        ],
        accepted: [{ name: "prod's certificate in prod's region", stack: "prod", edit: () => undefined }],
    },
    "snapshotSchedule by systemd.time(7)'s grammar": {
        refused: [
            ...["every hour", "25:00", "*-13-01 00:00", "Mon..Funday 02:00", "hourly\nExecStart=/bin/sh", "*-*-* 00:60", "2026-02-30x", "Mon 10:00 extra words", "12:00:00:00", "1969-01-01"].map(
                (schedule): Refused => ({ name: JSON.stringify(schedule), stack: "prod", edit: (c) => (consul(c).servers.snapshotSchedule = schedule), path: "bluegreen:consul.servers.snapshotSchedule", says: ["is not a systemd OnCalendar expression", "systemd.time(7)"] }),
            ),
        ],
        accepted: ["hourly", "daily", "weekly", "Mon..Fri 02:30", "*-*-* 00/6:00:00", "Sat,Sun 03:00 UTC", "*-*~01 23:00", "2026-01-01 00:00:00 Europe/Berlin", "*:0/15", "Mon *-*-* 04:00:00.5"].map(
            (schedule): Accepted => ({ name: JSON.stringify(schedule), stack: "prod", edit: (c) => (consul(c).servers.snapshotSchedule = schedule) }),
        ),
    },
    "EC2 instance types from the AWS provider's list": {
        refused: [
            { name: "a type that does not exist", stack: "prod", edit: (c) => (consul(c).servers.instanceType = "t4g.smal"), path: "bluegreen:consul.servers.instanceType", says: ['"t4g.smal" is not an EC2 instance type', 'did you mean "t4g.small"?'] },
            { name: "a family that does not exist", stack: "prod", edit: (c) => (consul(c).servers.instanceType = "x9.huge"), path: "bluegreen:consul.servers.instanceType", says: ["is not an EC2 instance type", "the AWS provider knows"] },
            { name: "a Mac instance", stack: "prod", edit: (c) => (consul(c).servers.instanceType = "mac2.metal"), path: "bluegreen:consul.servers.instanceType", says: ["cannot host a Consul server", "Dedicated Hosts"] },
        ],
        accepted: ["a1.medium", "t3.small", "m7g.large", "g5.xlarge"].map((type): Accepted => ({ name: type, stack: "prod", edit: (c) => (consul(c).servers.instanceType = type) })),
    },
    "CloudWatch alarm names: 1 to 255 characters, no control characters": {
        refused: [
            { name: "300 characters", edit: (c) => (S(c).orders.gate = { alarms: ["a".repeat(300)] }), path: "bluegreen:services.orders.gate.alarms[0]", says: ["300 characters", "1 to 255"] },
            { name: "a newline", edit: (c) => (S(c).orders.gate = { alarms: ["orders\n5xx"] }), path: "bluegreen:services.orders.gate.alarms[0]", says: ["control character"] },
            { name: "a tab", edit: (c) => (S(c).orders.gate = { alarms: ["ok", "orders\t5xx"] }), path: "bluegreen:services.orders.gate.alarms[1]", says: ["control character"] },
            { name: "blank", edit: (c) => (S(c).orders.gate = { alarms: ["   "] }), path: "bluegreen:services.orders.gate.alarms[0]", says: ["blank"] },
            { name: "the same alarm twice", edit: (c) => (S(c).orders.gate = { alarms: ["orders-5xx", "orders-5xx"] }), path: "bluegreen:services.orders.gate.alarms[1]", says: ["listed already at bluegreen:services.orders.gate.alarms[0]"] },
        ],
        accepted: [
            { name: "255 characters", edit: (c) => (S(c).orders.gate = { alarms: ["a".repeat(255)] }) },
            { name: "spaces and punctuation", edit: (c) => (S(c).orders.gate = { alarms: ["orders: 5xx > 1% (p99)"] }) },
        ],
    },
    "route.pathPrefix has healthCheck.path's characters": {
        refused: [
            { name: "a space", edit: (c) => (S(c).orders.route.pathPrefix = "/api/v1/my orders"), path: "bluegreen:services.orders.route.pathPrefix", says: ["not a plain URL path", "no quotes, spaces"] },
            { name: "a quote", edit: (c) => (S(c).orders.route.pathPrefix = `/api/"orders'`), path: "bluegreen:services.orders.route.pathPrefix", says: ["not a plain URL path"] },
            { name: "a control character", edit: (c) => (S(c).orders.route.pathPrefix = "/api/\u0007"), path: "bluegreen:services.orders.route.pathPrefix", says: ["not a plain URL path"] },
            { name: "no leading slash", edit: (c) => (S(c).orders.route.pathPrefix = "api"), path: "bluegreen:services.orders.route.pathPrefix", says: ['must start with "/"'] },
        ],
        accepted: [{ name: "URL punctuation", edit: (c) => (S(c).orders.route.pathPrefix = "/api/v1/orders-~_.%20") }],
    },
    "env within the 64 KiB task definition": {
        refused: [
            { name: "a 100 KB service env value", edit: (c) => (S(c).orders.env.BIG = "x".repeat(100_000)), path: "bluegreen:services.orders.blue.env", says: ["bytes of the task definition", "64 KiB"] },
            { name: "a colour's env that tips it over", edit: (c) => ((S(c).orders.env.A = "x".repeat(30_000)), (S(c).orders.green.env.B = "x".repeat(30_000))), path: "bluegreen:services.orders.green.env", says: ["64 KiB"] },
        ],
        accepted: [{ name: "30 KB of env", edit: (c) => (S(c).orders.env.A = "x".repeat(30_000)) }],
    },
    "duplicate CIDRs and subnet ids": {
        refused: [
            { name: "the same ingress CIDR twice", edit: (c) => (gateway(c).ingressCidrs = ["203.0.113.0/24", "198.51.100.0/24", "203.0.113.0/24"]), path: "bluegreen:gateway.ingressCidrs[2]", says: ["listed already at bluegreen:gateway.ingressCidrs[0]"] },
            { name: "the same preview CIDR twice", edit: (c) => (gateway(c).previewCidrs = ["203.0.113.0/24", "203.0.113.0/24"]), path: "bluegreen:gateway.previewCidrs[1]", says: ["listed already"] },
            {
                name: "one subnet three times in an ha stack",
                stack: "prod",
                edit: (c) => (c["bluegreen:network"] = { ...OWN_VPC, privateSubnetIds: ["subnet-01", "subnet-01", "subnet-01"] }),
                path: "bluegreen:network.privateSubnetIds",
                says: ["1 distinct subnets", "at least 3 availability zones"],
            },
            { name: "a subnet both public and private", stack: "prod", edit: (c) => (c["bluegreen:network"] = { ...OWN_VPC, publicSubnetIds: ["subnet-11", "subnet-01"] }), path: "bluegreen:network.publicSubnetIds[1]", says: ["also a private subnet"] },
        ],
        accepted: [{ name: "an own VPC with distinct subnets", stack: "prod", edit: (c) => (c["bluegreen:network"] = OWN_VPC) }],
    },
    "security group rule quota (60 inbound rules by default)": {
        refused: [
            { name: "100 ingress CIDRs over HTTPS (200 rules)", stack: "prod", edit: (c) => (gateway(c).ingressCidrs = cidrs(100)), path: "bluegreen:gateway.ingressCidrs", says: ["100 CIDRs make 200 inbound rules", "at most 60", "at most 30 CIDRs"] },
            { name: "31 ingress CIDRs over HTTPS", stack: "prod", edit: (c) => (gateway(c).ingressCidrs = cidrs(31)), path: "bluegreen:gateway.ingressCidrs", says: ["62 inbound rules"] },
            { name: "61 ingress CIDRs over HTTP", edit: (c) => (gateway(c).ingressCidrs = cidrs(61)), path: "bluegreen:gateway.ingressCidrs", says: ["61 inbound rules", "at most 60 CIDRs"] },
        ],
        accepted: [
            { name: "30 CIDRs over HTTPS", stack: "prod", edit: (c) => (gateway(c).ingressCidrs = cidrs(30)) },
            { name: "60 CIDRs over HTTP", edit: (c) => (gateway(c).ingressCidrs = cidrs(60)) },
        ],
    },
    "secrets recognised by value in plain env": {
        refused: [
            { name: "a DATABASE_URL with a password", edit: (c) => (S(c).orders.env.DATABASE_URL = "postgres://app:s3cr3tPassw0rd@db.example.com:5432/orders"), path: "bluegreen:services.orders.env.DATABASE_URL", says: ["its value is a secret", "database-connection-string", "Secrets Manager", "bluegreen:services.orders.secrets.DATABASE_URL"], never: ["s3cr3tPassw0rd"] },
            { name: "a GitHub token under a plain name", edit: (c) => (S(c).orders.green.env.UPSTREAM = "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"), path: "bluegreen:services.orders.green.env.UPSTREAM", says: ["its value is a secret", "github", "bluegreen:services.orders.green.secrets.UPSTREAM"], never: ["ghp_wWPw5k4a"] },
            {
                name: "a bearer JWT",
                edit: (c) => (S(c).orders.env.AUTH_HEADER = "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
                path: "bluegreen:services.orders.env.AUTH_HEADER",
                says: ["JSON Web Token", "Secrets Manager"],
                never: ["eyJhbGci"],
            },
            { name: "a Slack webhook", edit: (c) => (S(c).orders.env.HOOK = "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBBBB/abcdefghijklmnopqrstuvwx"), path: "bluegreen:services.orders.env.HOOK", says: ["its value is a secret", "slack"] },
        ],
        accepted: [
            { name: "a DATABASE_URL without a password", edit: (c) => (S(c).orders.env.DATABASE_URL = "postgres://db.example.com:5432/orders") },
            { name: "three dot-separated words that are no JWT", edit: (c) => (S(c).orders.env.VERSION = "release.2026.12") },
            { name: "an upstream URL", edit: (c) => (S(c).orders.env.UPSTREAM = "http://localhost:9001") },
        ],
    },
};

function cidrs(n: number): string[] {
    return Array.from({ length: n }, (_, i) => `10.${Math.floor(i / 256)}.${i % 256}.0/24`);
}

describe("stack config families (issue 18)", () => {
    for (const [family, { refused, accepted }] of Object.entries(families)) {
        describe(family, () => {
            for (const row of refused) {
                it(`refuses ${row.name}`, () => {
                    const problems = problemsOf(row.stack ?? row.base ?? "dev", row.edit, row.base);
                    const atPath = problems.filter((p) => p.path === row.path);
                    expect(atPath, `no problem at ${row.path}; got ${JSON.stringify(problems, null, 1)}`).to.not.be.empty;
                    const message = atPath.map((p) => p.message).join(" | ");
                    for (const fragment of row.says) {
                        expect(message).to.include(fragment);
                    }
                    for (const fragment of row.never ?? []) {
                        expect(JSON.stringify(problems)).to.not.include(fragment);
                    }
                });
            }
            for (const row of accepted) {
                it(`accepts ${row.name}`, () => {
                    expect(problemsOf(row.stack ?? row.base ?? "dev", row.edit, row.base)).to.deep.equal([]);
                });
            }
        });
    }

    it("one bad consul key reports that key alone: a dev stack keeps its dev servers (no ha zone problem)", () => {
        for (const [key, value] of [["datacenter", "DC 1"], ["version", "latest"], ["apiAddress", "localhost"]] as const) {
            const problems = problemsOf("dev", (c) => (consul(c)[key] = value));
            expect(problems.map((p) => p.path), key).to.deep.equal([`bluegreen:consul.${key}`]);
        }
        // A bad server key keeps the servers' other keys too.
        expect(problemsOf("dev", (c) => (consul(c).servers.dataVolumeSize = 2)).map((p) => p.path)).to.deep.equal(["bluegreen:consul.servers.dataVolumeSize"]);
    });

    it("reports every family's problem at once", () => {
        const problems = problemsOf("prod.eu", (c) => {
            c["aws:regoin"] = "eu-west-1";
            consul(c).apiAddress = "localhost:99999";
            consul(c).servers.snapshotSchedule = "every hour";
            consul(c).servers.instanceType = "t4g.smal";
            gateway(c).ingressCidrs = ["0.0.0.0/0", "0.0.0.0/0"];
            S(c).orders.route.pathPrefix = "/my orders";
            S(c).orders.env.DATABASE_URL = "postgres://app:s3cr3tPassw0rd@db.example.com:5432/orders";
        }, "prod");
        expect(problems.map((p) => p.path)).to.include.members([
            "stack name",
            "aws:regoin",
            "bluegreen:consul.apiAddress",
            "bluegreen:consul.servers.snapshotSchedule",
            "bluegreen:consul.servers.instanceType",
            "bluegreen:gateway.ingressCidrs[1]",
            "bluegreen:services.orders.route.pathPrefix",
            "bluegreen:services.orders.env.DATABASE_URL",
        ]);
    });
});

describe("EC2 architecture from the documented families, not the name", () => {
    it("knows a1 as arm64 and the GPU families with a g as x86_64", () => {
        expect(architectureOf("a1.medium")).to.equal("arm64");
        expect(architectureOf("is4gen.large")).to.equal("arm64");
        expect(architectureOf("g5g.xlarge")).to.equal("arm64");
        for (const type of ["g4dn.xlarge", "g5.xlarge", "g6.xlarge", "gr6.4xlarge", "t3.small"]) {
            expect(architectureOf(type), type).to.equal("x86_64");
        }
    });

    it("lists only families the AWS provider knows, each with instance types", () => {
        const families = new Set([...INSTANCE_TYPES].map(familyOf));
        for (const family of ARM64_FAMILIES) {
            expect(families.has(family), family).to.equal(true);
        }
    });
});

describe("systemd calendar grammar", () => {
    it("explains what it cannot read", () => {
        expect(calendarProblem("*-13-01 00:00")).to.include('month "13" is outside 1..12');
        expect(calendarProblem("Mon..Funday")).to.include("is not a weekday");
        expect(calendarProblem("10:61")).to.include('minute "61" is outside 0..59');
        expect(calendarProblem("5..2:00")).to.include("runs backwards");
        expect(calendarProblem("hourly")).to.equal(undefined);
    });
});
