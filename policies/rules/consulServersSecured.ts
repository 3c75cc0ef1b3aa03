// Consul servers with TLS and ACLs on, as the reference's section 6 sets them: ACLs enabled with
// default deny, plaintext HTTP off (ports.http = -1) and HTTPS on, outgoing TLS verified, server
// hostnames verified on RPC, and a certificate and key configured. Mandatory in production stacks,
// advisory elsewhere (dev stacks run with TLS and ACLs too, so that dev behaves like prod).
import type { StackValidation, StackValidationPolicy } from "@pulumi/policy";
import { AgentConfig } from "./agentConfig";
import { serverDeployments } from "./consulServers";
import { isProductionStack } from "../../src/shared/stacks";
import { asBoolean, asNumber, asRecord, asString, resourceLabel, stackOfResources } from "./resources";

export function agentSecurityProblems(config: AgentConfig): string[] {
    const problems: string[] = [];
    const acl = asRecord(config.acl);
    const ports = asRecord(config.ports);
    const tls = asRecord(config.tls);
    const defaults = asRecord(tls.defaults);
    const internalRpc = asRecord(tls.internal_rpc);
    const https = asRecord(tls.https);
    if (asBoolean(acl.enabled) !== true) {
        problems.push("acl.enabled is not true");
    }
    if (acl.default_policy !== "deny") {
        problems.push(`acl.default_policy is ${JSON.stringify(acl.default_policy ?? null)}, not "deny"`);
    }
    if (asNumber(ports.http) !== -1) {
        problems.push(`ports.http is ${JSON.stringify(ports.http ?? null)}: plaintext HTTP must be off (-1)`);
    }
    if ((asNumber(ports.https) ?? 0) <= 0) {
        problems.push("ports.https is not set: the HTTPS API must be on (8501)");
    }
    if (asBoolean(defaults.verify_outgoing ?? internalRpc.verify_outgoing) !== true) {
        problems.push("tls.defaults.verify_outgoing is not true");
    }
    if (asBoolean(internalRpc.verify_server_hostname ?? defaults.verify_server_hostname) !== true) {
        problems.push("tls.internal_rpc.verify_server_hostname is not true");
    }
    if (!asString(defaults.cert_file ?? https.cert_file) || !asString(defaults.key_file ?? https.key_file)) {
        problems.push("tls.defaults has no cert_file and key_file");
    }
    return problems;
}

function validateFor(production: boolean): StackValidation {
    return (args, reportViolation) => {
        const stack = stackOfResources(args.resources);
        if (isProductionStack(stack) !== production) {
            return;
        }
        for (const server of serverDeployments(args.resources)) {
            if (!server.config) {
                reportViolation(`${resourceLabel(server.resource)} runs Consul servers, but no agent configuration (JSON) was found in ${server.source} to check TLS and ACLs`, server.resource.urn);
                continue;
            }
            const problems = agentSecurityProblems(server.config);
            if (problems.length > 0) {
                reportViolation(`Consul servers of ${resourceLabel(server.resource)} are not secured: ${problems.join("; ")}`, server.resource.urn);
            }
        }
    };
}

const DESCRIPTION =
    "Consul servers run with ACLs on (default deny), plaintext HTTP off and HTTPS on, verify_outgoing and verify_server_hostname, and a certificate and key";

export const consulServersSecured: StackValidationPolicy = {
    name: "consul-servers-tls-acls",
    description: `${DESCRIPTION}; mandatory in production stacks.`,
    enforcementLevel: "mandatory",
    validateStack: validateFor(true),
};

export const consulServersSecuredOutsideProduction: StackValidationPolicy = {
    name: "consul-servers-tls-acls-nonprod",
    description: `${DESCRIPTION}; advisory in stacks other than production.`,
    enforcementLevel: "advisory",
    validateStack: validateFor(false),
};
