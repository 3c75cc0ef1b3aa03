// A loopback HTTP server that answers Lambda's Invoke API in the wire format AWS documents (Lambda
// API reference, Invoke): POST /2015-03-31/functions/<FunctionName>/invocations with the event as
// the body and X-Amz-Invocation-Type (RequestResponse by default). It answers 200 with the
// function's result as the body; a function that threw or timed out is answered 200 with the
// X-Amz-Function-Error: Unhandled header and the runtime's error document { errorType,
// errorMessage, trace }; an unknown function 404 with X-Amzn-ErrorType: ResourceNotFoundException.
// The functions are given by the test: `flip rollback`'s tests run the engine's REAL handler there
// (src/rollout/handler.ts) against the loopback fake Consul. It does NOT verify signatures: it
// records each request's SigV4 credential scope (access key id, region, service), which is what
// the tests assert on, and when each request arrived. It is NOT AWS Lambda.
import * as http from "http";
import { AddressInfo } from "net";

interface FakeInvocation {
    readonly functionName: string;
    readonly invocationType: string;
    readonly accessKeyId: string;
    readonly region: string;
    readonly service: string;
    readonly payload: unknown;
    /** performance.now() when the request's body had arrived. */
    readonly receivedAt: number;
}

/**
 * What the server does with invocation n (1-based) instead of answering the function's result:
 * `error`: answer as the runtime answers a failed function (after running it when `ran`, as a
 * function that timed out after it had acted); `delayMs`: run it, and answer that much later.
 */
type Fault = { readonly error: string; readonly ran?: boolean } | { readonly delayMs: number };

export interface FakeLambdaOptions {
    /** The functions by name: each takes the event and returns the result (JSON). */
    readonly functions: Readonly<Record<string, (event: unknown) => Promise<unknown>>>;
    readonly fault?: (n: number) => Fault | undefined;
}

export interface FakeLambda {
    /** `http://127.0.0.1:<port>`, for `aws:endpoints: [{ lambda: ... }]`. */
    readonly endpoint: string;
    readonly invocations: FakeInvocation[];
    close(): Promise<void>;
}

export async function startFakeLambda(options: FakeLambdaOptions): Promise<FakeLambda> {
    const invocations: FakeInvocation[] = [];
    const sockets = new Set<import("net").Socket>();
    const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "Content-Type": "application/json", ...headers }).end(JSON.stringify(body));
    };
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            void (async () => {
                const receivedAt = performance.now();
                const scope = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ""));
                if (!scope) {
                    json(res, 403, { message: "Missing Authentication Token" }, { "X-Amzn-ErrorType": "MissingAuthenticationTokenException" });
                    return;
                }
                const path = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(new URL(req.url ?? "/", "http://localhost").pathname);
                if (req.method !== "POST" || !path) {
                    json(res, 404, { message: `unknown path ${req.url}` }, { "X-Amzn-ErrorType": "UnknownOperationException" });
                    return;
                }
                const functionName = decodeURIComponent(path[1]);
                const payload = JSON.parse(Buffer.concat(chunks).toString("utf8") || "null") as unknown;
                const [, accessKeyId, , region, service] = scope;
                invocations.push({ functionName, invocationType: String(req.headers["x-amz-invocation-type"] ?? "RequestResponse"), accessKeyId, region, service, payload, receivedAt });
                const fn = options.functions[functionName];
                if (!fn) {
                    json(res, 404, { Type: "User", message: `Function not found: arn:aws:lambda:${region}:123456789012:function:${functionName}` }, { "X-Amzn-ErrorType": "ResourceNotFoundException" });
                    return;
                }
                const fault = options.fault?.(invocations.length);
                if (fault && "error" in fault) {
                    if (fault.ran) {
                        await fn(payload);
                    }
                    json(res, 200, { errorType: "Error", errorMessage: fault.error, trace: [] }, { "X-Amz-Function-Error": "Unhandled", "X-Amz-Executed-Version": "$LATEST" });
                    return;
                }
                let result: unknown;
                try {
                    result = await fn(payload);
                } catch (err) {
                    json(res, 200, { errorType: (err as Error).name, errorMessage: (err as Error).message, trace: [] }, { "X-Amz-Function-Error": "Unhandled", "X-Amz-Executed-Version": "$LATEST" });
                    return;
                }
                if (fault && "delayMs" in fault) {
                    await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
                }
                if (!res.destroyed) {
                    json(res, 200, result, { "X-Amz-Executed-Version": "$LATEST" });
                }
            })();
        });
    });
    server.on("connection", (socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        invocations,
        close: () =>
            new Promise<void>((resolve) => {
                for (const socket of sockets) {
                    socket.destroy();
                }
                server.close(() => resolve());
            }),
    };
}
