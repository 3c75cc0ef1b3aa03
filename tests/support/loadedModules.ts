// Preloaded into a process a test starts (`node -r ./cli/register.js -r
// ./tests/support/loadedModules.ts <entry>`): when the process exits, writes the files it loaded
// (Node's module cache) as JSON to the file named by LOADED_MODULES_FILE.
import * as fs from "fs";

const out = process.env.LOADED_MODULES_FILE;
if (out) {
    process.on("exit", () => fs.writeFileSync(out, JSON.stringify(Object.keys(require.cache))));
}
