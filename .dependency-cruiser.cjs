// Imports run downhill only (docs/architecture.md, "Layers"): a folder may import the folders below
// it, never one above, and no file may take part in an import cycle. `npm test` runs this check.
/** @type {import("dependency-cruiser").IConfiguration} */

// Bottom to top. Each layer may import only the layers before it (and itself).
const LAYERS = [
    "src/shared",
    "src/config",
    "src/iam",
    "src/net",
    "src/consul",
    "src/mesh",
    "src/ecs",
    "src/metrics",
    "src/rollout",
    "src/offline",
    "src/preflight",
    "policies",
    "cli",
    "index\\.ts",
];
const under = (paths) => `^(${paths.join("|")})(/|$)`;

const downhill = LAYERS.slice(0, -1).map((layer, i) => ({
    name: `downhill:${layer.replace("\\.", ".")}`,
    comment: `${layer.replace("\\.", ".")} may import only the layers below it (${LAYERS.slice(0, i).join(", ").replace("\\.", ".") || "none"})`,
    severity: "error",
    from: { path: under([layer]) },
    to: { path: under(LAYERS.slice(i + 1)) },
}));

module.exports = {
    forbidden: [
        {
            name: "no-circular",
            comment: "An import cycle: give what both sides need a home below both",
            severity: "error",
            from: {},
            to: { circular: true },
        },
        {
            name: "shared-is-a-leaf",
            comment: "src/shared imports nothing: not the project, not a package (the policy pack and the client load it)",
            severity: "error",
            from: { path: "^src/shared/" },
            to: { pathNot: "^src/shared/", dependencyTypesNot: ["core"] },
        },
        {
            name: "pack-imports-only-shared",
            comment: "The policy pack judges plans with the names and rules of src/shared only, never the program's code",
            severity: "error",
            from: { path: "^policies/" },
            to: { path: under(["src", "cli", "index\\.ts"]), pathNot: "^src/shared/" },
        },
        {
            name: "cli-shared-below-commands",
            comment: "cli/shared serves every command; it imports none of them",
            severity: "error",
            from: { path: "^cli/shared/" },
            to: { path: "^cli/", pathNot: "^cli/shared/" },
        },
        {
            name: "program-not-the-commands",
            comment: "index.ts wires the program from src/ only: never a command or the policy pack",
            severity: "error",
            from: { path: "^index\\.ts$" },
            to: { path: "^(cli|policies)/" },
        },
        {
            name: "tests-not-imported",
            comment: "Code never imports tests or their support",
            severity: "error",
            from: { path: under(["src", "cli", "policies", "index\\.ts"]) },
            to: { path: "^tests/" },
        },
        ...downhill,
    ],
    options: {
        doNotFollow: { path: "node_modules" },
        exclude: { path: "(^|/)(node_modules|bin)/" },
        // Type-only imports count: a type is as much a dependency as a value.
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
        enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"], extensions: [".ts", ".js", ".json"] },
    },
};
