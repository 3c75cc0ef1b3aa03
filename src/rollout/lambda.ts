// The tick Lambda's entry point (bundled by esbuild into the function's code). At cold start it
// reads the Consul token and CA from Secrets Manager (their ARNs are in the environment, never the
// values), then hands every invocation to handleEvent with the real Consul, CloudWatch and clock.
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { cloudWatchAnalyse } from "./canaryAnalysis";
import { alarmStates, cloudWatchDescribeAlarms } from "./alarms";
import { rolloutConsulApi } from "./consulApi";
import { EngineDeps, EngineEvent, handleEvent, TickResult } from "./handler";

/** The function's environment (set by the RolloutEngine component). */
export const ENGINE_ENV = {
    address: "CONSUL_ADDRESS",
    tlsServerName: "CONSUL_TLS_SERVER_NAME",
    caSecretArn: "CONSUL_CA_SECRET_ARN",
    tokenSecretArn: "CONSUL_TOKEN_SECRET_ARN",
} as const;

function required(name: string): string {
    const value = process.env[name];
    if (!value) {
        throw new Error(`the rollout engine's environment has no ${name}`);
    }
    return value;
}

async function coldStart(): Promise<EngineDeps> {
    const region = required("AWS_REGION");
    const secrets = new SecretsManagerClient({ region });
    const read = async (arn: string) => {
        const answer = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
        if (!answer.SecretString) {
            throw new Error(`secret ${arn} has no string value`);
        }
        return answer.SecretString;
    };
    const [token, caCertPem] = await Promise.all([read(required(ENGINE_ENV.tokenSecretArn)), read(required(ENGINE_ENV.caSecretArn))]);
    return {
        consul: rolloutConsulApi({ address: required(ENGINE_ENV.address), caCertPem, token, tlsServerName: required(ENGINE_ENV.tlsServerName) }),
        alarms: alarmStates(cloudWatchDescribeAlarms(region)),
        // gate.analysis: the canary against its baseline from the mesh metrics (src/metrics).
        analyse: cloudWatchAnalyse(new CloudWatchClient({ region }), () => new Date()),
        now: () => new Date(),
        log: (message) => console.log(message),
    };
}

/**
 * The handler over a cold start that is done once per instance, again after it failed, and again
 * once after Consul answers 403: the token was replaced (a new `pulumi up` rotated it) while this
 * instance kept the old one. Every other error goes to the state machine's retries.
 */
export function engineHandler(start: () => Promise<EngineDeps>): (event: EngineEvent) => Promise<TickResult> {
    let deps: Promise<EngineDeps> | undefined;
    const load = () =>
        (deps ??= start().catch((err: unknown) => {
            deps = undefined;
            throw err;
        }));
    return async (event) => {
        try {
            return await handleEvent(event, await load());
        } catch (err) {
            if ((err as { status?: number }).status !== 403) {
                throw err;
            }
            deps = undefined;
            return handleEvent(event, await load());
        }
    };
}

/** @public The Lambda runtime calls this by name (`index.handler` in src/rollout/engine.ts); no module imports it. */
export const handler = engineHandler(coldStart);
