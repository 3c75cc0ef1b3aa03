// A loopback HTTP server that answers the two AWS APIs the Release calls, in the wire formats AWS
// documents, so that which identity and region the calls carry can be checked on this machine: STS
// AssumeRole over the Query protocol (a form-encoded POST, answered with the AssumeRoleResponse XML
// of the STS API reference: Credentials { AccessKeyId, SecretAccessKey, SessionToken, Expiration })
// and Step Functions StartExecution / DescribeExecution over the JSON 1.0 protocol (POST with
// X-Amz-Target: AWSStepFunctions.<Operation>, answered with { executionArn, startDate } and
// { executionArn, stateMachineArn, status, startDate }). A StartExecution named "denied" is answered
// with AccessDeniedException in the documented JSON error shape { __type, message }. `onStartExecution`
// stands in for the state machine (the tests and the Release's hold benchmark run the real definition
// on tests/support/aslDriver.ts there); the answer waits for what it returns. It does NOT verify signatures: it records
// each request's SigV4 credential scope (access key id, date, region, service) and session token,
// which is what the tests assert on. It is NOT AWS.
import * as http from "http";
import { AddressInfo } from "net";

interface SignedRequest {
    /** "sts:AssumeRole", "states:StartExecution", ... */
    readonly operation: string;
    readonly accessKeyId: string;
    readonly region: string;
    readonly service: string;
    readonly sessionToken?: string;
    /** The form fields (STS) or the JSON body (Step Functions). */
    readonly params: Record<string, unknown>;
}

export interface FakeAws {
    readonly endpoint: string;
    readonly requests: SignedRequest[];
    /** The temporary credentials AssumeRole hands out for a role ARN: "ASIA<n>" keys, numbered in order. */
    issued(roleArn: string): { accessKeyId: string; sessionToken: string } | undefined;
    close(): Promise<void>;
}

export interface FakeAwsOptions {
    /** Called on each StartExecution (name and parsed input) before it is answered; the answer waits for it. */
    readonly onStartExecution?: (name: string, input: unknown) => void | Promise<void>;
}

export async function startFakeAws(options: FakeAwsOptions = {}): Promise<FakeAws> {
    const requests: SignedRequest[] = [];
    const issued = new Map<string, { accessKeyId: string; secretAccessKey: string; sessionToken: string }>();
    const server = http.createServer((req, res): void => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            const auth = String(req.headers.authorization ?? "");
            const scope = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
            if (!scope) {
                res.writeHead(403, { "Content-Type": "application/json" }).end(JSON.stringify({ __type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" }));
                return;
            }
            const [, accessKeyId, , region, service] = scope;
            const sessionToken = req.headers["x-amz-security-token"] as string | undefined;
            const target = req.headers["x-amz-target"] as string | undefined;
            if (service === "sts") {
                const params = Object.fromEntries(new URLSearchParams(body));
                requests.push({ operation: `sts:${params.Action}`, accessKeyId, region, service, sessionToken, params });
                const n = issued.size + 1;
                const creds = { accessKeyId: `ASIA${String(n).padStart(16, "0")}`, secretAccessKey: `secret-${n}`, sessionToken: `session-token-${n}` };
                issued.set(params.RoleArn, creds);
                const expiration = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
                res.writeHead(200, { "Content-Type": "text/xml" }).end(
                    `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>${params.RoleArn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")}/${params.RoleSessionName}</Arn>
      <AssumedRoleId>AROA${n}:${params.RoleSessionName}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${creds.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${creds.secretAccessKey}</SecretAccessKey>
      <SessionToken>${creds.sessionToken}</SessionToken>
      <Expiration>${expiration}</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>`,
                );
                return;
            }
            const params = body ? (JSON.parse(body) as Record<string, unknown>) : {};
            const operation = (target ?? "").replace(/^AWSStepFunctions\./, "");
            requests.push({ operation: `${service}:${operation}`, accessKeyId, region, service, sessionToken, params });
            const send = (value: unknown) => res.writeHead(200, { "Content-Type": "application/x-amz-json-1.0" }).end(JSON.stringify(value));
            if (operation === "StartExecution" && params.name === "denied") {
                res.writeHead(400, { "Content-Type": "application/x-amz-json-1.0" }).end(
                    JSON.stringify({ __type: "AccessDeniedException", message: `User: ${accessKeyId} is not authorized to perform: states:StartExecution` }),
                );
                return;
            }
            if (operation === "StartExecution") {
                const arn = String(params.stateMachineArn).replace(":stateMachine:", ":execution:") + `:${String(params.name)}`;
                void Promise.resolve(options.onStartExecution?.(String(params.name), JSON.parse(String(params.input ?? "{}")))).then(
                    () => send({ executionArn: arn, startDate: Date.now() / 1000 }),
                    (err: Error) => res.writeHead(500, { "Content-Type": "application/x-amz-json-1.0" }).end(JSON.stringify({ __type: "InternalError", message: err.message })),
                );
                return;
            }
            if (operation === "DescribeExecution") {
                const arn = String(params.executionArn);
                return send({ executionArn: arn, stateMachineArn: arn.replace(":execution:", ":stateMachine:").replace(/:[^:]+$/, ""), status: "RUNNING", startDate: Date.now() / 1000 });
            }
            res.writeHead(400, { "Content-Type": "application/x-amz-json-1.0" }).end(JSON.stringify({ __type: "UnknownOperationException" }));
            return;
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        requests,
        issued: (roleArn) => issued.get(roleArn),
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}
