// How the project's own TypeScript entry points start (`node -r ./cli/register.js <file>.ts`: the
// commands' npm scripts, mocha through .mocharc.json, the processes tests start; `pulumi up` runs
// the program with Pulumi's own TypeScript support instead): ts-node in transpile-only mode, with
// TypeScript's own output kept on disk. A process used to transpile every file it loads again,
// about 25 ms a file, 1.5 to 2 s of a flip client's start; a file read back is the same text
// TypeScript gave for the same source, file name, options and TypeScript version.
// A faster transpiler (swc, esbuild) emits other module glue, which Pulumi's closure serialization
// of the dynamic providers cannot follow (docs/performance.md), so the transpiler stays TypeScript.
// Plain JavaScript: it is loaded before anything can load TypeScript.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const CACHE_DIR = path.join(__dirname, "..", "node_modules", ".cache", "bluegreen", "transpiled");

/** ts-node's transpiler interface (`transpiler` option): TypeScript's transpileModule behind a cache. */
exports.create = ({ service }) => {
    const ts = require("typescript");
    const compilerOptions = service.config.options;
    const optionsKey = `${ts.version}\0${JSON.stringify(compilerOptions)}`;
    return {
        transpile(input, { fileName }) {
            const key = crypto.createHash("sha256").update(optionsKey).update("\0").update(fileName).update("\0").update(input).digest("hex");
            const file = path.join(CACHE_DIR, `${key}.json`);
            try {
                return JSON.parse(fs.readFileSync(file, "utf8"));
            } catch {
                // Not cached yet (or a partial file from a crash): transpile.
            }
            const result = ts.transpileModule(input, { fileName, compilerOptions, reportDiagnostics: true });
            if (result.diagnostics && result.diagnostics.length > 0) {
                return result; // ts-node reports them; nothing to keep
            }
            const output = { outputText: result.outputText, sourceMapText: result.sourceMapText };
            keep(file, output);
            return output;
        },
    };
};

/**
 * Written aside and renamed, so a process reading it at the same time sees all or nothing. Best
 * effort: a process that may not write there (a read-only checkout, a test running the client as
 * nobody) just transpiles.
 */
function keep(file, output) {
    const partial = `${file}.${process.pid}.tmp`;
    try {
        fs.mkdirSync(CACHE_DIR, { recursive: true });
        fs.writeFileSync(partial, JSON.stringify(output));
        fs.renameSync(partial, file);
    } catch {
        fs.rmSync(partial, { force: true });
    }
}

require("ts-node").register({ transpileOnly: true, transpiler: __filename });
