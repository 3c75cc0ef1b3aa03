// The IAM policy documents of mesh tasks, the API gateway and the controller (docs/platform-facts.md#iam).
// Pure: ARNs in, documents out, each granting only what its role uses.
import { ECS_EXEC_ACTIONS, POLICY_VERSION, PolicyDocument, PolicyStatement } from "../../iam/policyDocument";

/**
 * True when consul-ecs finds the servers by running go-discover's AWS provider: `hosts` is
 * `exec=<.../>discover ... provider=aws ...`. consul-ecs runs the command with the task role's
 * credentials, and the provider lists the tagged instances with ec2:DescribeInstances.
 */
export function discoversWithAwsApi(serverHosts: string): boolean {
    if (!serverHosts.startsWith("exec=")) {
        return false;
    }
    const [command, ...args] = serverHosts.slice("exec=".length).trim().split(/\s+/);
    return /(^|\/)discover$/.test(command) && args.includes("provider=aws");
}

/** What finding the servers through `serverHosts` needs from the task role: nothing for a DNS name or an IP. */
function serverDiscoveryStatements(serverHosts: string): PolicyStatement[] {
    // Describe* actions have no resource-level permissions; `*` is the only valid resource.
    return discoversWithAwsApi(serverHosts) ? [{ Sid: "DiscoverConsulServers", Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" }] : [];
}

export interface MeshTaskRolePolicyInput {
    /** The task role's own ARN: the IAM auth method has consul-ecs read the role it logs in with. */
    readonly roleArn: string;
    /** The task's `consulServers.hosts`: finding them through the EC2 API needs ec2:DescribeInstances. */
    readonly serverHosts: string;
    /** True when ECS Exec is enabled for the service. */
    readonly executeCommand: boolean;
}

/** The task role of a mesh task or gateway task: `iam:GetRole` on itself, nothing more unless asked. */
export function meshTaskRolePolicy(input: MeshTaskRolePolicyInput): PolicyDocument {
    const statements: PolicyStatement[] = [
        { Sid: "ReadOwnRoleForConsulLogin", Effect: "Allow", Action: ["iam:GetRole"], Resource: input.roleArn },
        ...serverDiscoveryStatements(input.serverHosts),
    ];
    if (input.executeCommand) {
        statements.push(executeCommandStatement());
    }
    return { Version: POLICY_VERSION, Statement: statements };
}

export interface ControllerTaskRolePolicyInput {
    /** The ECS cluster whose tasks the controller watches. */
    readonly clusterArn: string;
    /** The controller's `consulServers.hosts`, as for mesh tasks. */
    readonly serverHosts: string;
}

/**
 * The controller lists and describes the tasks of its own cluster, and finds the servers like any
 * other consul-ecs task. ListTasks only takes container-instance ARNs (Fargate tasks have none), so
 * it is scoped by the ecs:cluster condition; DescribeTasks takes task ARNs, so it is scoped to the
 * cluster's tasks.
 */
export function controllerTaskRolePolicy(input: ControllerTaskRolePolicyInput): PolicyDocument {
    return {
        Version: POLICY_VERSION,
        Statement: [
            {
                Sid: "ListTasksOfOwnCluster",
                Effect: "Allow",
                Action: ["ecs:ListTasks"],
                Resource: "*",
                Condition: { ArnEquals: { "ecs:cluster": input.clusterArn } },
            },
            {
                Sid: "DescribeTasksOfOwnCluster",
                Effect: "Allow",
                Action: ["ecs:DescribeTasks"],
                Resource: clusterTasksArn(input.clusterArn),
            },
            ...serverDiscoveryStatements(input.serverHosts),
        ],
    };
}

/** `arn:aws:ecs:<region>:<account>:cluster/<name>` -> the ARN pattern of that cluster's tasks. */
function clusterTasksArn(clusterArn: string): string {
    const match = /^(arn:[^:]+:ecs:[^:]+:\d{12}):cluster\/(.+)$/.exec(clusterArn);
    if (!match) {
        throw new Error(`controllerTaskRolePolicy: ${JSON.stringify(clusterArn)} is not an ECS cluster ARN (arn:aws:ecs:<region>:<account>:cluster/<name>)`);
    }
    return `${match[1]}:task/${match[2]}/*`;
}

export interface ExecutionRolePolicyInput {
    /** Every Secrets Manager ARN the task definition injects (`valueFrom`), JSON-key suffixes allowed. */
    readonly secretValueFroms: readonly string[];
    /** The customer-managed KMS key the secrets are encrypted with, if any. */
    readonly kmsKeyArn?: string;
    /** The log group the containers write to. */
    readonly logGroupArn: string;
    /** Container images of the task; private ECR repositories among them get pull rights. */
    readonly images: readonly string[];
}

/** What ECS needs to start the task: read exactly the injected secrets, write logs, pull private images. */
export function executionRolePolicy(input: ExecutionRolePolicyInput): PolicyDocument {
    const secretArns = unique(input.secretValueFroms.map(secretArn));
    const repositories = unique(input.images.map(ecrRepositoryArn).filter((arn): arn is string => arn !== undefined));
    const statements: PolicyStatement[] = [];
    if (secretArns.length > 0) {
        statements.push({ Sid: "ReadInjectedSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: secretArns });
        if (input.kmsKeyArn) {
            statements.push({ Sid: "DecryptInjectedSecrets", Effect: "Allow", Action: ["kms:Decrypt"], Resource: input.kmsKeyArn });
        }
    }
    statements.push({
        Sid: "WriteContainerLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${input.logGroupArn}:log-stream:*`,
    });
    if (repositories.length > 0) {
        // GetAuthorizationToken is account-wide by design; the pulls themselves are per repository.
        statements.push({ Sid: "LogInToEcr", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" });
        statements.push({
            Sid: "PullPrivateImages",
            Effect: "Allow",
            Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            Resource: repositories,
        });
    }
    return { Version: POLICY_VERSION, Statement: statements };
}

/**
 * The secret's own ARN from an ECS `valueFrom`, which may append `:<json-key>:<version-stage>:<version-id>`;
 * IAM matches the secret ARN only.
 */
export function secretArn(valueFrom: string): string {
    const parts = valueFrom.split(":");
    if (parts.length < 7 || parts[2] !== "secretsmanager" || parts[5] !== "secret") {
        throw new Error(`${JSON.stringify(valueFrom)} is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)`);
    }
    return parts.slice(0, 7).join(":");
}

/** The repository ARN of a private ECR image (`<account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@digest]`). */
export function ecrRepositoryArn(image: string): string | undefined {
    const match = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image);
    if (!match) {
        return undefined;
    }
    const [, account, region, repository] = match;
    const partition = region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
    return `arn:${partition}:ecr:${region}:${account}:repository/${repository}`;
}

function executeCommandStatement(): PolicyStatement {
    // ECS Exec's SSM channels have no resource-level permissions.
    return {
        Sid: "EcsExec",
        Effect: "Allow",
        Action: ECS_EXEC_ACTIONS,
        Resource: "*",
    };
}

function unique(values: readonly string[]): string[] {
    return [...new Set(values)];
}
