// The Release's AWS calls run as the stack's AWS provider config says, not as the shell is: these
// tests set the shell's AWS_* variables to another identity and check, on the requests a loopback
// server received (tests/support/fakeAws.ts answers STS AssumeRole and Step Functions in AWS's
// documented wire formats; it is NOT AWS), whose access key signed each call and for which region.
// The config reaches the provider as the dynamic provider host hands it over: namespaced keys,
// objects and lists as JSON strings (ReleaseProvider.configure).
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { awsProviderSettings, AwsProviderConfigError, describeAwsIdentity, goDurationSeconds } from "../../src/rollout/awsProviderConfig";
import { ReleaseProvider, stepFunctionsCalls } from "../../src/rollout/release";
import { FakeAws, startFakeAws } from "../support/fakeAws";

const STATE_MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-rollout";
const INPUT = { rolloutId: "prod-0123456789abcdef-1", specHash: "0".repeat(64), spec: {}, requestedBy: "ana@laptop (pulumi up)", startAfter: { orders: "" }, generation: 0, count: { n: 0 } };

describe("the Release's AWS identity comes from the stack's AWS provider config (loopback STS and Step Functions)", () => {
    let aws: FakeAws;
    let dir: string;
    const saved = { ...process.env };

    beforeEach(async () => {
        aws = await startFakeAws();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-aws-"));
        // The shell's identity: what the calls must NOT use when the stack configures its own.
        process.env.AWS_ACCESS_KEY_ID = "AKIASHELL0000000000";
        process.env.AWS_SECRET_ACCESS_KEY = "shell-secret";
        process.env.AWS_REGION = "us-east-1";
        delete process.env.AWS_PROFILE;
        delete process.env.AWS_SESSION_TOKEN;
    });
    afterEach(async () => {
        process.env = { ...saved };
        fs.rmSync(dir, { recursive: true, force: true });
        await aws.close();
    });

    /** The config as `configure` receives it (strings; objects and lists as JSON). */
    const config = (values: Record<string, unknown>) => {
        const raw = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
        return (key: string) => raw[key];
    };

    it("aws:profile (with aws:sharedCredentialsFiles) signs StartExecution with that profile's key, in aws:region", async () => {
        const credentials = path.join(dir, "credentials");
        fs.writeFileSync(credentials, "[deploy]\naws_access_key_id = AKIADEPLOY000000000\naws_secret_access_key = deploy-secret\n");
        const settings = awsProviderSettings(
            config({ "aws:region": "eu-west-1", "aws:profile": "deploy", "aws:sharedCredentialsFiles": [credentials], "aws:sharedConfigFiles": [path.join(dir, "config")], "aws:endpoints": [{ sfn: aws.endpoint }] }),
            "eu-central-1",
        );
        expect(describeAwsIdentity(settings)).to.equal("aws:profile deploy, region eu-west-1");
        expect(await stepFunctionsCalls(STATE_MACHINE, settings).startExecution(INPUT.rolloutId, INPUT)).to.equal(true);
        expect(aws.requests).to.have.length(1);
        expect(aws.requests[0]).to.deep.include({ operation: "states:StartExecution", accessKeyId: "AKIADEPLOY000000000", region: "eu-west-1", service: "states" });
        expect(aws.requests[0].params).to.deep.include({ stateMachineArn: STATE_MACHINE, name: INPUT.rolloutId });
    });

    it("aws:assumeRoles chains each role from the one before (from aws:accessKey/secretKey), and Step Functions runs as the last", async () => {
        const roles = [
            { roleArn: "arn:aws:iam::111111111111:role/deployer", sessionName: "ci", externalId: "ext-1", duration: "15m", tags: { team: "payments" } },
            { roleArn: "arn:aws:iam::123456789012:role/prod-release", sessionName: "release", duration: "1h" },
        ];
        const settings = awsProviderSettings(
            config({ "aws:region": "eu-west-1", "aws:accessKey": "AKIACONFIG000000000", "aws:secretKey": "config-secret", "aws:assumeRoles": roles, "aws:endpoints": [{ sfn: aws.endpoint, sts: aws.endpoint }] }),
            "eu-west-1",
        );
        expect(describeAwsIdentity(settings)).to.equal("aws:accessKey, assuming arn:aws:iam::111111111111:role/deployer, assuming arn:aws:iam::123456789012:role/prod-release, region eu-west-1");
        const calls = stepFunctionsCalls(STATE_MACHINE, settings);
        expect(await calls.executionStatus(INPUT.rolloutId)).to.deep.equal({ status: "RUNNING", error: undefined, cause: undefined });
        const [first, second, sfn] = aws.requests;
        expect(first).to.deep.include({ operation: "sts:AssumeRole", accessKeyId: "AKIACONFIG000000000", region: "eu-west-1" });
        expect(first.params).to.deep.include({ RoleArn: roles[0].roleArn, RoleSessionName: "ci", ExternalId: "ext-1", DurationSeconds: "900", "Tags.member.1.Key": "team", "Tags.member.1.Value": "payments" });
        const deployer = aws.issued(roles[0].roleArn)!;
        expect(second).to.deep.include({ operation: "sts:AssumeRole", accessKeyId: deployer.accessKeyId, sessionToken: deployer.sessionToken });
        expect(second.params).to.deep.include({ RoleArn: roles[1].roleArn, RoleSessionName: "release", DurationSeconds: "3600" });
        const release = aws.issued(roles[1].roleArn)!;
        expect(sfn).to.deep.include({ operation: "states:DescribeExecution", accessKeyId: release.accessKeyId, sessionToken: release.sessionToken, region: "eu-west-1" });
        expect(sfn.params).to.deep.equal({ executionArn: `arn:aws:states:eu-west-1:123456789012:execution:prod-rollout:${INPUT.rolloutId}` });
        expect(aws.requests.map((r) => r.accessKeyId)).to.not.include("AKIASHELL0000000000");
    });

    it("without AWS identity in the stack config, the AWS SDK's default chain applies (here the shell's keys), in aws:region", async () => {
        const settings = awsProviderSettings(config({ "aws:region": "eu-west-1", "aws:endpoints": [{ stepfunctions: aws.endpoint }] }), "eu-west-1");
        expect(settings.source).to.match(/^the AWS SDK's default chain/);
        await stepFunctionsCalls(STATE_MACHINE, settings).startExecution(INPUT.rolloutId, INPUT);
        expect(aws.requests[0]).to.deep.include({ accessKeyId: "AKIASHELL0000000000", region: "eu-west-1" });
    });

    it("the provider reads the config the dynamic provider host hands to configure, and names the identity when a call fails", async () => {
        const provider = new ReleaseProvider();
        const values: Record<string, string> = { "aws:region": "eu-west-1", "aws:accessKey": "AKIACONFIG000000000", "aws:secretKey": "config-secret", "bluegreen:services": "{}" };
        await provider.configure({ config: { get: (k) => values[k], require: (k) => values[k] } });
        const settings = provider.awsSettings("eu-west-1");
        expect(settings.keys).to.deep.equal({ accessKeyId: "AKIACONFIG000000000", secretAccessKey: "config-secret" });
        // Refused by "AWS": the failure says whose call it was.
        const calls = stepFunctionsCalls(STATE_MACHINE, { ...settings, endpoints: { sfn: aws.endpoint } });
        const err = await calls.startExecution("denied", INPUT).catch((e: Error) => e);
        expect((err as Error).message).to.equal(
            "StartExecution of denied as aws:accessKey, region eu-west-1 failed: AccessDeniedException: User: AKIACONFIG000000000 is not authorized to perform: states:StartExecution",
        );
    });

    it("refuses what it cannot honour, every problem at once and in one message", () => {
        let caught: unknown;
        try {
            awsProviderSettings(
                config({
                    "aws:assumeRole": { roleArn: "arn:aws:iam::1:role/x" },
                    "aws:accessKey": "AKIAONLY",
                    "aws:assumeRoles": [{ sessionName: "no-arn" }, { roleArn: "arn:aws:iam::1:role/y", duration: "an hour" }],
                    "aws:sharedCredentialsFiles": ["/a", "/b"],
                }),
                "eu-west-1",
            );
        } catch (err) {
            caught = err;
        }
        expect(caught).to.be.instanceOf(AwsProviderConfigError);
        expect((caught as AwsProviderConfigError).problems).to.deep.equal([
            "aws:assumeRole is the AWS provider 6.x key; @pulumi/aws 7 reads aws:assumeRoles, a list (pulumi config set --path 'aws:assumeRoles[0].roleArn' <arn>)",
            "aws:secretKey is missing: aws:accessKey and aws:secretKey go together",
            "aws:sharedCredentialsFiles lists 2 files; the Release's AWS calls read one (the AWS SDK for JavaScript reads one credentials and one config file)",
            "aws:assumeRoles[0].roleArn is required",
            'aws:assumeRoles[1].duration "an hour" is not a duration (write it like 15m, 1h or 900s)',
        ]);
    });

    it("reads the provider's Go durations", () => {
        expect([goDurationSeconds("15m"), goDurationSeconds("1h30m"), goDurationSeconds("900s"), goDurationSeconds("1.5h"), goDurationSeconds("15"), goDurationSeconds("")]).to.deep.equal([900, 5400, 900, 5400, undefined, undefined]);
    });
});
