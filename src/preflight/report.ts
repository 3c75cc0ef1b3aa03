// The preflight's result: one line per link of the platform's start-up, in the order the platform
// starts, each passed or failed; a failure names the resource that breaks the link and the fix.

/** The phases of start-up, in the order they happen. */
const PHASES = [
    "Consul servers",
    "Consul API (operators, pulumi up)",
    "consul-ecs controller",
    "Mesh tasks",
    "Upstreams, gateway routes and the public ALB",
    "IAM policies",
] as const;
export type Phase = (typeof PHASES)[number];

export interface StepResult {
    readonly phase: Phase;
    /** A stable name for the kind of link, for example `controller.discovery`. */
    readonly step: string;
    /** The plan resource (its logical name) the link depends on, or that breaks it. */
    readonly resource: string;
    readonly passed: boolean;
    /** What was checked and found: why it passes, or what breaks it. */
    readonly detail: string;
    /** What to change, for a failure. */
    readonly fix?: string;
}

export interface PreflightReport {
    readonly stack: string;
    readonly steps: readonly StepResult[];
}

export function passed(phase: Phase, step: string, resource: string, detail: string): StepResult {
    return { phase, step, resource, passed: true, detail };
}

export function failed(phase: Phase, step: string, resource: string, detail: string, fix: string): StepResult {
    return { phase, step, resource, passed: false, detail, fix };
}

export function failures(report: PreflightReport): readonly StepResult[] {
    return report.steps.filter((s) => !s.passed);
}

/** The report as people read it: phases in start-up order, one line per step, failures explained. */
export function formatReport(report: PreflightReport): string {
    const stepWidth = Math.max(...report.steps.map((s) => s.step.length), 4);
    const resourceWidth = Math.min(Math.max(...report.steps.map((s) => s.resource.length), 8), 40);
    const lines: string[] = [`Preflight of stack ${report.stack}: the platform's start-up, step by step`];
    for (const phase of PHASES) {
        const steps = report.steps.filter((s) => s.phase === phase);
        if (steps.length === 0) {
            continue;
        }
        lines.push("", `${PHASES.indexOf(phase) + 1}. ${phase}`);
        for (const s of steps) {
            lines.push(`  ${s.passed ? "ok  " : "FAIL"}  ${s.step.padEnd(stepWidth)}  ${s.resource.padEnd(resourceWidth)}  ${s.detail}`);
            if (!s.passed && s.fix) {
                lines.push(`${" ".repeat(stepWidth + 10)}fix: ${s.fix}`);
            }
        }
    }
    const broken = failures(report).length;
    lines.push(
        "",
        broken === 0
            ? `${report.steps.length} steps, all passed: nothing in the plan stops the platform from starting.`
            : `${report.steps.length} steps, ${broken} failed: fix ${broken === 1 ? "it" : "them"} before pulumi up.`,
    );
    return lines.join("\n");
}
