import * as aws from "@pulumi/aws";
import * as consul from "@pulumi/consul";
import * as pulumi from "@pulumi/pulumi";
import { engineBundle } from "./bundle";
import { ROLLOUT_KV_PREFIX } from "./contract";
import { ENGINE_ENV } from "./lambda";
import type { WatchdogEvent } from "./handler";
import { engineAclRules, engineFunctionPolicy, engineStateMachinePolicy, operatorAclRules } from "./render/enginePolicies";
import { alarmEventPattern } from "../shared/engineAlarms";
import { serviceTrustPolicy } from "../iam/policyDocument";
import { rolloutStateMachine, TICK_FUNCTION_TIMEOUT_SECONDS } from "./render/stateMachine";

/** Every minute: ENGINE_SILENCE_GRACE_SECONDS in the contract counts on it. */
const WATCHDOG_SCHEDULE = "rate(1 minute)";
const WATCHDOG_EVENT: WatchdogEvent = { kind: "watchdog" };

export interface RolloutEngineArgs {
    /** The service-splitters the engine writes (engineSplitterNames: each service's, and its sticky virtual services'). */
    readonly services: readonly string[];
    /** Every CloudWatch alarm any service is gated on (DescribeAlarms, and the EventBridge rule). */
    readonly alarmNames: readonly string[];
    /** Some service has `gate.analysis`, so the engine reads the mesh metrics. Default false. */
    readonly readsMeshMetrics?: boolean;
    readonly region: string;
    readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** The engine's security group (8501 to the internal API load balancer, HTTPS out). */
    readonly securityGroupId: pulumi.Input<string>;
    /** The servers' Consul provider and readiness wait: the engine's policy and token are written through it. */
    readonly consulProvider: consul.Provider;
    readonly consulReady: pulumi.Resource;
    /** `host:port` the Lambda reaches Consul at: always the internal load balancer, never an operator's tunnel. */
    readonly consulAddress: pulumi.Input<string>;
    readonly tlsServerName: string;
    readonly caCertSecretArn: pulumi.Input<string>;
    /** The stack's KMS key: it encrypts the token's secret, and the Lambda decrypts both secrets with it. */
    readonly kmsKeyArn: pulumi.Input<string>;
    readonly logRetentionDays: number;
    readonly tags?: Record<string, string>;
}

/**
 * The platform's rollout engine, part of every stack: one tick Lambda in the private subnets
 * (Node.js 22, its own security group, a Consul token allowed exactly what it writes, read from
 * Secrets Manager at cold start), a Standard Step Functions state machine that runs one execution
 * per rollout, an EventBridge schedule that invokes the Lambda every minute as the watchdog (it ends
 * a rollout whose execution is gone), and, when any service is gated on alarms, an EventBridge rule
 * that invokes the Lambda as soon as one of them goes into ALARM. The rollout's state lives in Consul KV under
 * `bluegreen/rollout/`.
 */
export class RolloutEngine extends pulumi.ComponentResource {
    public readonly stateMachineArn: pulumi.Output<string>;
    public readonly functionName: pulumi.Output<string>;
    public readonly tokenSecretArn: pulumi.Output<string>;
    /** The rollout operators' Consul token (status, history, pause, resume, promote, abort; no splitter writes). */
    public readonly operatorTokenSecretArn: pulumi.Output<string>;

    constructor(name: string, args: RolloutEngineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:rollout:RolloutEngine", name, {}, opts);
        const stack = pulumi.getStack();
        const tags = { ...args.tags };
        const consulOpts = { parent: this, provider: args.consulProvider, dependsOn: [args.consulReady] };
        const functionName = `${stack}-${name}-tick`;
        const stateMachineName = `${stack}-${name}`;
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        // `aws`, `aws-cn`, `aws-us-gov`...: every ARN the engine builds takes the provider's partition.
        const partition = aws.getPartitionOutput({}, { parent: this }).partition;

        /** A Consul token of `role` (`rollout-engine`, `rollout-operator`), kept as a Pulumi secret and in Secrets Manager. */
        const keptToken = (resourceName: string, policyResourceName: string, role: string, who: string, rules: string) => {
            const policy = new consul.AclPolicy(policyResourceName, { name: `${stack}-${role}`, description: `${who} of stack ${stack}`, rules }, consulOpts);
            const token = new consul.AclToken(resourceName, { description: `${who} of stack ${stack}`, policies: [policy.name], local: false }, consulOpts);
            const secret = new aws.secretsmanager.Secret(
                resourceName,
                { namePrefix: `bluegreen/${stack}/${role}-token-`, description: `Consul ACL token of the ${who} (stack ${stack})`, kmsKeyId: args.kmsKeyArn, tags },
                { parent: this },
            );
            const value = pulumi.secret(consul.getAclTokenSecretIdOutput({ accessorId: token.accessorId }, { parent: this, provider: args.consulProvider }).secretId);
            const version = new aws.secretsmanager.SecretVersion(resourceName, { secretId: secret.id, secretString: value }, { parent: this });
            return { secret, version };
        };
        const { secret, version: secretVersion } = keptToken(`${name}-token`, `${name}-policy`, "rollout-engine", "rollout engine", engineAclRules(args.services));
        // Operators (and the flip workflow) follow and steer rollouts with this one, never the management token.
        const operator = keptToken(`${name}-operator-token`, `${name}-operator-policy`, "rollout-operator", "rollout operators", operatorAclRules());

        const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { name: `/aws/lambda/${functionName}`, retentionInDays: args.logRetentionDays, tags }, { parent: this });
        const functionRole = new aws.iam.Role(`${name}-function`, { assumeRolePolicy: JSON.stringify(serviceTrustPolicy("lambda.amazonaws.com")), tags }, { parent: this });
        const functionPolicy = new aws.iam.RolePolicy(
            `${name}-function`,
            {
                role: functionRole.id,
                policy: pulumi
                    .all([partition, account, logGroup.arn, secret.arn, pulumi.output(args.caCertSecretArn), pulumi.output(args.kmsKeyArn)])
                    .apply(([partitionName, accountId, logGroupArn, tokenArn, caArn, kmsKeyArn]) =>
                        JSON.stringify(engineFunctionPolicy({ partition: partitionName, region: args.region, accountId, logGroupArn, secretArns: [tokenArn, caArn], kmsKeyArn, alarmNames: args.alarmNames, readsMeshMetrics: args.readsMeshMetrics })),
                    ),
            },
            { parent: this },
        );
        const bundle = engineBundle();
        const fn = new aws.lambda.Function(
            `${name}-tick`,
            {
                name: functionName,
                description: `bluegreen rollout engine of stack ${stack}: one tick of a rollout (${ROLLOUT_KV_PREFIX} in Consul KV)`,
                runtime: aws.lambda.Runtime.NodeJS22dX,
                architectures: ["arm64"],
                handler: "index.handler",
                code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundle.code) }),
                sourceCodeHash: Buffer.from(bundle.sha256, "hex").toString("base64"),
                role: functionRole.arn,
                memorySize: 256,
                timeout: TICK_FUNCTION_TIMEOUT_SECONDS,
                vpcConfig: { subnetIds: args.privateSubnetIds, securityGroupIds: [args.securityGroupId] },
                environment: {
                    variables: {
                        [ENGINE_ENV.address]: args.consulAddress,
                        [ENGINE_ENV.tlsServerName]: args.tlsServerName,
                        [ENGINE_ENV.caSecretArn]: args.caCertSecretArn,
                        [ENGINE_ENV.tokenSecretArn]: secret.arn,
                    },
                },
                loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
                tags,
            },
            { parent: this, dependsOn: [functionPolicy, secretVersion, logGroup] },
        );

        const stateMachineArn = pulumi.interpolate`arn:${partition}:states:${args.region}:${account}:stateMachine:${stateMachineName}`;
        const machineRole = new aws.iam.Role(`${name}-machine`, { assumeRolePolicy: JSON.stringify(serviceTrustPolicy("states.amazonaws.com")), tags }, { parent: this });
        const machinePolicy = new aws.iam.RolePolicy(
            `${name}-machine`,
            { role: machineRole.id, policy: pulumi.all([fn.arn, stateMachineArn]).apply(([fnArn, smArn]) => JSON.stringify(engineStateMachinePolicy(fnArn, smArn))) },
            { parent: this },
        );
        const machine = new aws.sfn.StateMachine(
            `${name}-machine`,
            {
                name: stateMachineName,
                type: "STANDARD",
                roleArn: machineRole.arn,
                definition: pulumi.all([fn.arn, stateMachineArn]).apply(([fnArn, smArn]) => JSON.stringify(rolloutStateMachine(fnArn, smArn))),
                tags,
            },
            { parent: this, dependsOn: [machinePolicy] },
        );

        // The watchdog: the same function, every minute, resolves a rollout that no execution works on
        // any more (src/rollout/handler.ts runWatchdog). EventBridge may invoke the function only from
        // this rule (the permission's source ARN); the event is a constant, never caller data.
        const watchdog = new aws.cloudwatch.EventRule(
            `${name}-watchdog`,
            { description: `bluegreen ${stack}: ends a rollout no engine works on any more`, scheduleExpression: WATCHDOG_SCHEDULE, tags },
            { parent: this },
        );
        const watchdogPermission = new aws.lambda.Permission(
            `${name}-watchdog`,
            { action: "lambda:InvokeFunction", function: fn.name, principal: "events.amazonaws.com", sourceArn: watchdog.arn },
            { parent: this },
        );
        new aws.cloudwatch.EventTarget(
            `${name}-watchdog`,
            { rule: watchdog.name, arn: fn.arn, input: JSON.stringify(WATCHDOG_EVENT) },
            { parent: this, dependsOn: [watchdogPermission] },
        );

        if (args.alarmNames.length > 0) {
            const rule = new aws.cloudwatch.EventRule(
                `${name}-alarms`,
                { description: `bluegreen ${stack}: a rollout gate's alarm went into ALARM`, eventPattern: JSON.stringify(alarmEventPattern(args.alarmNames)), tags },
                { parent: this },
            );
            const permission = new aws.lambda.Permission(
                `${name}-alarms`,
                { action: "lambda:InvokeFunction", function: fn.name, principal: "events.amazonaws.com", sourceArn: rule.arn },
                { parent: this },
            );
            new aws.cloudwatch.EventTarget(`${name}-alarms`, { rule: rule.name, arn: fn.arn }, { parent: this, dependsOn: [permission] });
        }

        this.stateMachineArn = machine.arn;
        this.functionName = fn.name;
        this.tokenSecretArn = secret.arn;
        this.operatorTokenSecretArn = operator.secret.arn;
        this.registerOutputs({
            stateMachineArn: this.stateMachineArn,
            functionName: this.functionName,
            tokenSecretArn: this.tokenSecretArn,
            operatorTokenSecretArn: this.operatorTokenSecretArn,
        });
    }
}
