// Runs every rule of the policy pack over an offline plan: what `pulumi preview --policy-pack
// ./policies` would report, without the CLI or a cloud. Used by `npm run plan -- --policy` and
// `npm run policy -- <plan.json>`.
import type { EnforcementLevel, Policies, ResourceValidation } from "@pulumi/policy";
import { policies as packPolicies } from "../../policies/rules";
import type { PlanRecord } from "../../src/offline/planRecords";
import { NotApplicable, resourceValidationArgs, stackValidationArgs } from "./policyArgs";

export interface Violation {
    readonly policy: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly message: string;
    /** The resource in violation, when the rule names one. */
    readonly resource?: { readonly type: string; readonly name: string; readonly urn: string };
}

export interface PolicyReport {
    readonly stack: string;
    readonly resourceCount: number;
    readonly policyCount: number;
    readonly violations: readonly Violation[];
}

/** The pack's default, as @pulumi/policy applies it to a policy that sets none. */
const DEFAULT_ENFORCEMENT: EnforcementLevel = "advisory";

async function call(run: () => Promise<void> | void): Promise<void> {
    try {
        await run();
    } catch (err) {
        if (!(err instanceof NotApplicable)) {
            throw err;
        }
    }
}

/**
 * The plan's stack name is the one the rules see: rules read it from URNs, so URNs are made to carry
 * it (a saved plan whose "stack" was edited is checked as that stack, not as the one it came from).
 */
function inStack(records: readonly PlanRecord[], stack: string): PlanRecord[] {
    const fix = (urn: string) => urn.replace(/^urn:pulumi:[^:]+::/, `urn:pulumi:${stack}::`);
    return records.map((r) => ({ ...r, urn: fix(r.urn), parent: r.parent && fix(r.parent), dependsOn: r.dependsOn?.map(fix) }));
}

export async function runPolicyPack(stack: string, planRecords: readonly PlanRecord[], policies: Policies = packPolicies): Promise<PolicyReport> {
    const records = inStack(planRecords, stack);
    const violations: Violation[] = [];
    const byUrn = new Map(records.map((r) => [r.urn, r]));
    const stackArgs = stackValidationArgs(records);
    for (const policy of policies) {
        const level = policy.enforcementLevel ?? DEFAULT_ENFORCEMENT;
        if (level === "disabled") {
            continue;
        }
        const enforcementLevel = level === "remediate" ? "mandatory" : level;
        const report = (message: string, urn?: string) => {
            const record = urn ? byUrn.get(urn) : undefined;
            violations.push({ policy: policy.name, enforcementLevel, message, resource: record && { type: record.type, name: record.name, urn: record.urn } });
        };
        if ("validateStack" in policy) {
            await call(() => policy.validateStack(stackArgs, report));
            continue;
        }
        const validations: ResourceValidation[] = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
        for (const record of records) {
            const args = resourceValidationArgs(record);
            for (const validate of validations) {
                await call(() => validate(args, (message) => report(message, record.urn)));
            }
        }
    }
    return { stack, resourceCount: records.length, policyCount: policies.length, violations };
}

export function hasMandatoryViolation(report: PolicyReport): boolean {
    return report.violations.some((v) => v.enforcementLevel === "mandatory");
}

/** One line per violation (level, rule, resource, message), then a summary line. */
export function formatPolicyReport(report: PolicyReport): string {
    const lines = report.violations.map((v) => {
        const resource = v.resource ? `${v.resource.type} "${v.resource.name}"` : "(stack)";
        return `${v.enforcementLevel.padEnd(9)}  ${v.policy}  ${resource}  ${v.message}`;
    });
    const mandatory = report.violations.filter((v) => v.enforcementLevel === "mandatory").length;
    const advisory = report.violations.length - mandatory;
    const summary =
        report.violations.length === 0
            ? `Policy pack "bluegreen": ${report.policyCount} rules over ${report.resourceCount} resources of stack "${report.stack}": no violations.`
            : `Policy pack "bluegreen": ${report.policyCount} rules over ${report.resourceCount} resources of stack "${report.stack}": ${mandatory} mandatory, ${advisory} advisory violation(s).`;
    return [...lines, summary].join("\n");
}
