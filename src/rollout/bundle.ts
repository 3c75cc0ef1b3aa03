// The tick Lambda's code: src/rollout/lambda.ts and what it imports, bundled by esbuild into one
// CommonJS file at program run. The AWS SDK v3 is left out: the Node.js Lambda runtimes include it.
// Paths are relative to the project root and nothing time-dependent is emitted, so the same source
// gives byte-identical code and plans stay stable.
import { createHash } from "crypto";
import * as path from "path";
import { buildSync } from "esbuild";

const ROOT = path.resolve(__dirname, "..", "..");

export interface EngineBundle {
    readonly code: string;
    /** sha256 (hex) of the code. */
    readonly sha256: string;
}

let cached: EngineBundle | undefined;

/** Bundles once per process (a plan of 200 services asks for it once). */
export function engineBundle(): EngineBundle {
    if (!cached) {
        const result = buildSync({
            absWorkingDir: ROOT,
            entryPoints: ["src/rollout/lambda.ts"],
            bundle: true,
            platform: "node",
            target: "node22",
            format: "cjs",
            external: ["@aws-sdk/*"],
            write: false,
            legalComments: "none",
            logLevel: "silent",
        });
        const code = result.outputFiles[0].text;
        cached = { code, sha256: createHash("sha256").update(code).digest("hex") };
    }
    return cached;
}
