// `npm run plan -- --stack <name> [--json | --policy]`: what `pulumi up` would register for
// Pulumi.<name>.yaml, evaluated offline under Pulumi's mock runtime; `--policy` runs the policy pack
// over it instead of printing it. Exit 0 on success, 1 on invalid stack config (every problem
// listed, no stack trace) or a mandatory policy violation, 2 on a usage error.
import { parseArgs } from "util";
import { runMain } from "../shared/run";
import { OfflinePlan } from "../../src/offline/planRecords";
import { planStack } from "../../src/offline/runtime";
import { readStackFile } from "../../src/offline/stackFile";
import { UsageError } from "../../src/offline/errors";
import { formatPlan } from "./report";
import { EXIT_CODES } from "../../src/shared/exitCodes";
import { runPolicyPack, formatPolicyReport, hasMandatoryViolation } from "../policy/runPack";
import { trafficRows } from "../shared/trafficTable";

const USAGE = `usage: npm run plan -- --stack <name> [--json | --policy] [--dir <folder with Pulumi.<name>.yaml>]`;


export async function plan(argv: readonly string[], write: (text: string) => void): Promise<number> {
    const { values } = parseArgs({
        args: [...argv],
        options: {
            stack: { type: "string", short: "s" },
            json: { type: "boolean", default: false },
            policy: { type: "boolean", default: false },
            dir: { type: "string" },
            help: { type: "boolean", short: "h", default: false },
        },
        strict: true,
    });
    if (values.help) {
        write(USAGE);
        return 0;
    }
    if (!values.stack) {
        throw new UsageError(`--stack is required\n${USAGE}`);
    }
    if (values.json && values.policy) {
        throw new UsageError(`--json and --policy do not go together: check a saved plan with npm run policy -- <plan.json>\n${USAGE}`);
    }
    const config = readStackFile(values.stack, values.dir);
    const result: OfflinePlan = await planStack({ stack: values.stack, config });
    if (values.policy) {
        const report = await runPolicyPack(result.stack, result.resources);
        write(formatPolicyReport(report));
        return hasMandatoryViolation(report) ? EXIT_CODES.FAILED : EXIT_CODES.OK;
    }
    if (values.json) {
        write(JSON.stringify(planToJson(result), null, 2));
    } else {
        write(formatPlan(result, trafficRows(result.stack, config)));
    }
    return 0;
}

/** The `--json` document: the registered resources with their parents and inputs. */
export function planToJson(result: OfflinePlan) {
    return {
        project: result.project,
        stack: result.stack,
        resources: result.resources.map((r) => ({
            type: r.type,
            name: r.name,
            urn: r.urn,
            parent: r.parent,
            provider: r.provider,
            dependsOn: r.dependsOn,
            inputs: r.inputs,
            secretInputs: r.secretInputs,
        })),
        outputs: result.outputs,
    };
}

if (require.main === module) {
    runMain(() => plan(process.argv.slice(2), (text) => process.stdout.write(`${text}\n`)));
}
