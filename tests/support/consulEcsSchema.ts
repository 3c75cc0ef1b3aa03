// consul-ecs's own JSON Schema for CONSUL_ECS_CONFIG_JSON (v0.10.0), read from the shared reference
// folder beside the checkout. It is never copied into the repository; where the folder is absent
// (a clone elsewhere) the conformance tests say so and skip.
import * as fs from "fs";
import * as path from "path";
import Ajv, { ValidateFunction } from "ajv";
import { ROOT } from "./harness";

const SCHEMA_PATH = path.join(ROOT, "..", "shared", "reference", "consul-ecs-config.schema.json");

let cached: ValidateFunction | undefined;

/** The compiled schema, or undefined when the reference folder is absent. */
function consulEcsSchema(): ValidateFunction | undefined {
    if (!fs.existsSync(SCHEMA_PATH)) {
        return undefined;
    }
    if (!cached) {
        const schema = JSON.parse(fs.readFileSync(SCHEMA_PATH, "utf8")) as Record<string, unknown>;
        // The file names its draft as "https://json-schema.org/draft-07/schema" (no trailing '#'),
        // which ajv does not recognise as draft-07, its default; and it carries a keyword in the wrong
        // place ("expose" beside "properties"), which gojsonschema ignores and so must ajv (strict off).
        delete schema.$schema;
        cached = new Ajv({ allErrors: true, strict: false }).compile(schema);
    }
    return cached;
}

/** Validates one document; returns ajv's errors as readable lines (empty when valid). */
export function schemaErrors(validate: ValidateFunction, document: unknown): string[] {
    if (validate(document)) {
        return [];
    }
    return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`);
}

/** Skips the current test, saying why, when the schema is absent. */
export function requireSchema(context: Mocha.Context): ValidateFunction {
    const validate = consulEcsSchema();
    if (!validate) {
        console.log(`      (skipped: ${SCHEMA_PATH} is absent; the conformance check needs the shared reference folder beside the checkout)`);
        context.skip();
    }
    return validate as ValidateFunction;
}
