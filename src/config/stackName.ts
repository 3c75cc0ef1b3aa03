// The stack's name goes into AWS and Consul names (docs/platform-facts.md): its characters and its
// length must fit the strictest of them, or `pulumi up` fails half-way, after other resources exist.
import type { Report } from "./types";

/**
 * Names the program derives from the stack, with the rules of the service that owns each name.
 * tests/config/program.test.ts plans a stack and checks each template against what is registered.
 */
export const STACK_DERIVED_NAMES: readonly { readonly template: (stack: string) => string; readonly owner: string; readonly max: number; readonly chars: RegExp; readonly allowed: string }[] = [
    // Lambda CreateFunction: a function name is at most 64 characters of [a-zA-Z0-9-_].
    { template: (s) => `${s}-rollout-tick`, owner: "the rollout engine's Lambda function name", max: 64, chars: /^[A-Za-z0-9_-]+$/, allowed: "letters, digits, '-' and '_'" },
    // Step Functions CreateStateMachine: 1-80 characters, no whitespace, brackets, wildcards or punctuation.
    { template: (s) => `${s}-rollout`, owner: "the rollout engine's state machine name", max: 80, chars: /^[A-Za-z0-9_-]+$/, allowed: "letters, digits, '-' and '_'" },
    // ECS RegisterTaskDefinition: a family is up to 255 letters, digits, hyphens and underscores.
    { template: (s) => `${s}-consul-ecs-controller`, owner: "the controller's ECS task definition family", max: 255, chars: /^[A-Za-z0-9_-]+$/, allowed: "letters, digits, '-' and '_'" },
    // Consul ACL policy names: letters, digits, '-' and '_', at most 128 (consul acl/validation.go).
    { template: (s) => `${s}-consul-ecs-controller`, owner: "the controller's Consul ACL policy name", max: 128, chars: /^[A-Za-z0-9_-]+$/, allowed: "letters, digits, '-' and '_'" },
];

/** The longest stack name every derived name leaves room for. */
export const MAX_STACK_NAME = Math.min(...STACK_DERIVED_NAMES.map((n) => n.max - (n.template("").length)));

export function checkStackName(stack: string, at: Report): void {
    const where = "stack name";
    if (!/^[A-Za-z0-9_-]+$/.test(stack)) {
        const bad = [...new Set([...stack].filter((c) => !/[A-Za-z0-9_-]/.test(c)))].map((c) => JSON.stringify(c)).join(", ");
        const owners = STACK_DERIVED_NAMES.map((n) => n.owner).join(", ");
        at(where, `"${stack}" has ${bad}, which ${owners} cannot hold; rename the stack with ASCII letters, digits, '-' and '_' only`);
        return;
    }
    for (const name of STACK_DERIVED_NAMES) {
        const derived = name.template(stack);
        if (derived.length > name.max) {
            at(where, `"${stack}" has ${stack.length} characters, so ${name.owner} "${derived}" has ${derived.length}, over its limit of ${name.max}; use a stack name of at most ${MAX_STACK_NAME} characters`);
            return;
        }
    }
}
