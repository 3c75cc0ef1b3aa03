// `npm run preflight -- --stack <name>` plans the stack offline (as `npm run plan` does) and walks the
// platform's start-up over the planned resources; `--plan <file>` reads a plan saved with
// `npm run plan -- --stack <name> --json` instead (`-` for standard input). Prints one line per
// step, passed or failed, each failure with the resource and the fix. Exit 0 when every link holds,
// 1 when one is broken (or the stack config is invalid), 2 on a usage error.
import { parseArgs } from "util";
import { EXIT_CODES } from "../../src/shared/exitCodes";
import { runMain } from "../shared/run";
import { readSavedPlan } from "../shared/savedPlan";
import { UsageError } from "../../src/offline/errors";
import { planStack } from "../../src/offline/runtime";
import { readStackFile } from "../../src/offline/stackFile";
import { PlanRecords } from "../../src/preflight/planIndex";
import { runPreflight } from "../../src/preflight/preflight";
import { failures, formatReport } from "../../src/preflight/report";

const USAGE = "usage: npm run preflight -- --stack <name> [--dir <folder with Pulumi.<name>.yaml>] | --plan <plan.json | ->  [--json]";

export async function preflight(argv: readonly string[], write: (text: string) => void, readStdin?: () => Promise<string>): Promise<number> {
    const { values } = parseArgs({
        args: [...argv],
        options: {
            stack: { type: "string", short: "s" },
            plan: { type: "string" },
            dir: { type: "string" },
            json: { type: "boolean", default: false },
            help: { type: "boolean", short: "h", default: false },
        },
        strict: true,
    });
    if (values.help) {
        write(USAGE);
        return EXIT_CODES.OK;
    }
    if ((values.stack === undefined) === (values.plan === undefined)) {
        throw new UsageError(`give exactly one of --stack and --plan\n${USAGE}`);
    }
    if (values.plan !== undefined && values.dir !== undefined) {
        throw new UsageError(`--dir goes with --stack only\n${USAGE}`);
    }
    const plan: PlanRecords = values.stack !== undefined ? await planStack({ stack: values.stack, config: readStackFile(values.stack, values.dir) }) : await readSavedPlan(values.plan as string, readStdin);
    const report = await runPreflight(plan);
    write(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return failures(report).length > 0 ? EXIT_CODES.FAILED : EXIT_CODES.OK;
}

if (require.main === module) {
    runMain(() => preflight(process.argv.slice(2), (text) => process.stdout.write(`${text}\n`)));
}
