// `node -r ./cli/shared/esbuildRegister.js cli/flip/main.ts`: ts-node in transpile-only mode with
// esbuild (a dependency already, for the engine's bundle) as its transpiler instead of TypeScript's
// own. TypeScript's transpiler costs a flip process about 1.2 s of CPU for the 80 files it loads,
// esbuild a few milliseconds (docs/performance.md); types are checked by `npm run typecheck`, not
// here, as with --transpile-only. Only the flip client runs this way: `pulumi up` registers ts-node
// itself (TypeScript's transpiler), and the tests that serialize dynamic providers check that output.
// JavaScript, because it is what makes TypeScript loadable. ts-node requires this file a second
// time as the transpiler module (its `create`); Node's module cache makes that the same instance.
"use strict";
const esbuild = require("esbuild");

/** ts-node's transpiler interface: `create` returns `transpile(text, { fileName })`. */
exports.create = function create({ service }) {
    const options = service.config.options;
    const ES2022 = 9; // ts.ScriptTarget.ES2022
    const tsconfigRaw = {
        compilerOptions: {
            // As tsc emits them for tsconfig.json: class fields defined (ES2022 and later) and "use strict".
            useDefineForClassFields: options.useDefineForClassFields ?? options.target >= ES2022,
            alwaysStrict: options.alwaysStrict ?? options.strict ?? false,
        },
    };
    return {
        transpile(input, { fileName }) {
            const result = esbuild.transformSync(input, { loader: "ts", format: "cjs", target: "es2022", sourcemap: "external", sourcefile: fileName, tsconfigRaw });
            return { outputText: result.code, sourceMapText: result.map };
        },
    };
};

require("ts-node").register({ transpileOnly: true, transpiler: __filename });
