// `flip rollback` invokes the engine's function synchronously (Lambda Invoke, RequestResponse) with
// the stack's AWS provider identity, as the Release starts executions (src/rollout/awsProviderConfig.ts).
// The AWS SDK and the credential providers load only here, when a rollback invokes: `status` and
// the other commands never load them (tests/cli/flip/lightClient.test.ts).
import type { RollbackEvent, TickResult } from "../../src/rollout/handler";
import type { AwsProviderSettings } from "../../src/rollout/awsProviderConfig";
import { StackValues } from "../../src/offline/stackFile";
import { FlipInputError } from "./clientErrors";

/** The engine's tick function of a stack (src/rollout/engine.ts: `${stack}-${name}-tick`, component "rollout" in index.ts). */
function engineFunctionName(stack: string): string {
    return `${stack}-rollout-tick`;
}

/**
 * One invocation's outcome. `retry`: the engine may not have acted, or acted partly (its function
 * failed or timed out, Lambda throttled or answered 5xx, the network failed): the same request
 * again continues it. Otherwise the call cannot work as it is (no such function, no permission,
 * no credentials) and retrying changes nothing.
 */
export type InvokeOutcome = { readonly ok: true; readonly result: TickResult } | { readonly ok: false; readonly retry: boolean; readonly message: string };

export type EngineInvoker = (event: RollbackEvent, signal?: AbortSignal) => Promise<InvokeOutcome>;

/**
 * The stack file's `aws:*` config as the provider's `configure` would hand it over (strings;
 * objects and lists as JSON). A `secure:` value is encrypted with the stack's secrets provider,
 * which this client does not decrypt: it says so instead of using the wrong identity.
 */
function awsConfigGetter(values: StackValues, stack: string): (key: string) => string | undefined {
    return (key) => {
        const value = values[key];
        if (value === undefined || value === null) {
            return undefined;
        }
        if (typeof value === "object" && !Array.isArray(value) && "secure" in (value as object)) {
            throw new FlipInputError(
                `${key} in Pulumi.${stack}.yaml is a Pulumi secret, which flip rollback does not decrypt; give the AWS identity by aws:profile or the environment (AWS_PROFILE, AWS_ACCESS_KEY_ID) instead`,
            );
        }
        return typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
    };
}

/** What one failed Invoke means, from the SDK's error (its name is the API's error type). */
function failure(err: unknown, functionName: string, identity: string): InvokeOutcome {
    const e = err as { name?: string; message?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    const said = `${e.name ?? "Error"}: ${e.message ?? String(err)}`;
    if (e.name === "ResourceNotFoundException") {
        return { ok: false, retry: false, message: `Lambda has no function ${functionName} (${said}): is the stack deployed in this account and region (${identity})?` };
    }
    if (e.name === "AccessDeniedException" || e.name === "AccessDenied" || status === 403) {
        return { ok: false, retry: false, message: `Invoke of ${functionName} as ${identity} was refused (${said}): the identity needs lambda:InvokeFunction on it` };
    }
    if (e.name === "CredentialsProviderError" || /credential/i.test(e.name ?? "")) {
        return { ok: false, retry: false, message: `no AWS credentials for ${identity} (${said})` };
    }
    // Throttling, 5xx, a network failure or a timeout: the engine may still act on the same request.
    return { ok: false, retry: status === undefined || status === 429 || status >= 500 || e.$fault === "server", message: `Invoke of ${functionName} failed: ${said}` };
}

/**
 * The real invoker: Lambda Invoke (RequestResponse) of the stack's tick function, as the stack's
 * AWS provider config says (identity, region, `aws:endpoints` lambda). The SDK's own retries are
 * off (maxAttempts 1): the rollback retries the same request itself and says so.
 */
export async function lambdaInvoker(values: StackValues, stack: string, fallbackRegion: string, timeoutMs: number): Promise<{ invoke: EngineInvoker; identity: string; functionName: string }> {
    const [{ LambdaClient, InvokeCommand }, { awsProviderSettings, describeAwsIdentity, lambdaClientConfig }] = await Promise.all([
        import("@aws-sdk/client-lambda"),
        import("../../src/rollout/awsProviderConfig"),
    ]);
    let settings: AwsProviderSettings;
    try {
        settings = awsProviderSettings(awsConfigGetter(values, stack), fallbackRegion);
    } catch (err) {
        if (err instanceof FlipInputError) {
            throw err;
        }
        throw new FlipInputError((err as Error).message.replace("for the Release's AWS calls", "to invoke the engine"));
    }
    const identity = describeAwsIdentity(settings);
    const functionName = engineFunctionName(stack);
    // A request past the limit fails (the SDK only warns by default), so it is retried like a function timeout.
    const client = new LambdaClient({ ...lambdaClientConfig(settings), maxAttempts: 1, requestHandler: { requestTimeout: timeoutMs, throwOnRequestTimeout: true } });
    const invoke: EngineInvoker = async (event, signal) => {
        let answer;
        try {
            answer = await client.send(
                new InvokeCommand({ FunctionName: functionName, InvocationType: "RequestResponse", Payload: Buffer.from(JSON.stringify(event)) }),
                { abortSignal: signal },
            );
        } catch (err) {
            return failure(err, functionName, identity);
        }
        const text = answer.Payload ? Buffer.from(answer.Payload).toString("utf8") : "";
        if (answer.FunctionError) {
            // The runtime's error document: { errorType, errorMessage } (a timeout: "Task timed out after 60.00 seconds").
            let detail = text;
            try {
                const doc = JSON.parse(text) as { errorType?: string; errorMessage?: string };
                detail = `${doc.errorType ?? answer.FunctionError}: ${doc.errorMessage ?? text}`;
            } catch {
                // not JSON: shown as it came
            }
            return { ok: false, retry: true, message: `the engine's function ${functionName} failed (${answer.FunctionError}): ${detail}` };
        }
        try {
            return { ok: true, result: JSON.parse(text) as TickResult };
        } catch {
            return { ok: false, retry: true, message: `the engine's function ${functionName} answered something that is not a result: ${text.slice(0, 200)}` };
        }
    };
    return { invoke, identity, functionName };
}
