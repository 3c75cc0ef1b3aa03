// Small synthetic stacks for the policy pack's tests: records shaped like the offline plan's, built
// with helpers, and a complete, safe mesh stack (VPC, ALB, API gateway, blue/green services, config
// entries, Consul servers, secrets, IAM) that every rule must accept and that each test breaks in
// exactly one place.
import type { Policy } from "@pulumi/policy";
import { mockId } from "../../src/offline/mockOutputs";
import type { PlanRecord } from "../../src/offline/planRecords";
import { runPolicyPack, Violation } from "../../cli/policy/runPack";
import { policies } from "../../policies/rules";
import { T } from "./typeTokens";

/** One resource record as the offline plan records it. */
export function resource(type: string, name: string, inputs: Record<string, unknown>, options: { stack?: string; dependsOn?: readonly PlanRecord[] } = {}): PlanRecord {
    return {
        type,
        name,
        urn: `urn:pulumi:${options.stack ?? "prod"}::bluegreen::${type}::${name}`,
        dependsOn: (options.dependsOn ?? []).map((d) => d.urn),
        inputs,
    };
}

/** Runs one policy (or the whole pack) over records; returns its violations. */
export async function violations(records: readonly PlanRecord[], only?: Policy): Promise<Violation[]> {
    const stack = /^urn:pulumi:([^:]+)::/.exec(records[0]?.urn ?? "")?.[1] ?? "prod";
    const report = await runPolicyPack(stack, records, only ? [only as (typeof policies)[number]] : policies);
    return [...report.violations];
}

/** Violation messages, for assertions that read like the report. */
export async function messages(records: readonly PlanRecord[], only?: Policy): Promise<string[]> {
    return (await violations(records, only)).map((v) => `${v.policy}: ${v.message}`);
}

/** Replaces one resource's inputs (by name) through `edit`, leaving the others as they were. */
export function edit(records: readonly PlanRecord[], name: string, change: (inputs: Record<string, unknown>) => Record<string, unknown>): PlanRecord[] {
    let found = false;
    const out = records.map((r) => {
        if (r.name !== name) {
            return r;
        }
        found = true;
        return { ...r, inputs: change(structuredClone(r.inputs)) };
    });
    if (!found) {
        throw new Error(`no resource named ${name} in the fixture`);
    }
    return out;
}

export function without(records: readonly PlanRecord[], name: string): PlanRecord[] {
    return records.filter((r) => r.name !== name);
}

const arnOf = (kind: string, name: string) => `arn:aws:${kind}:eu-west-1:123456789012:${name}`;

export interface MeshContainerOptions {
    /** Application containers (none: a gateway task). */
    readonly apps?: readonly string[];
    readonly consulEcsConfig?: Record<string, unknown>;
    readonly environment?: readonly { name: string; value: string }[];
}

/** The container definitions of a sound mesh task (docs/platform-facts.md#mesh-tasks). */
export function meshContainers(options: MeshContainerOptions = {}): Record<string, unknown>[] {
    const config = options.consulEcsConfig ?? {
        bootstrapDir: "/consul",
        consulServers: { hosts: "consul.internal", defaults: { tls: true, tlsServerName: "server.dc1.consul" } },
        transparentProxy: { enabled: false },
        service: { name: "orders", port: 9090, meta: { version: "blue" } },
    };
    const env = [{ name: "CONSUL_ECS_CONFIG_JSON", value: JSON.stringify(config) }];
    const caSecrets = [{ name: "CONSUL_HTTPS_CACERT_PEM", valueFrom: arnOf("secretsmanager", "secret:ca") }];
    const sidecars = [
        { name: "consul-ecs-mesh-init", image: "public.ecr.aws/hashicorp/consul-ecs:0.10.0", essential: false, command: ["mesh-init"], environment: env, secrets: caSecrets },
        {
            name: "consul-dataplane",
            image: "hashicorp/consul-dataplane:2.0.1",
            essential: true,
            dependsOn: [{ containerName: "consul-ecs-mesh-init", condition: "SUCCESS" }],
            healthCheck: { command: ["CMD", "/consul/consul-ecs", "net-dial", "127.0.0.1:22000"], interval: 5, timeout: 5, retries: 10 },
        },
        {
            name: "consul-ecs-health-sync",
            image: "public.ecr.aws/hashicorp/consul-ecs:0.10.0",
            essential: false,
            command: ["health-sync"],
            environment: env,
            dependsOn: [{ containerName: "consul-ecs-mesh-init", condition: "SUCCESS" }],
        },
    ];
    const apps = (options.apps ?? []).map((name) => ({
        name,
        image: "nicholasjackson/fake-service:v0.26.2",
        essential: true,
        environment: [{ name: "NAME", value: name }, ...(options.environment ?? [])],
        dependsOn: [{ containerName: "consul-dataplane", condition: "HEALTHY" }],
    }));
    return [...apps, ...sidecars];
}

/** A Consul server agent config as docs/platform-facts.md#tls-gossip-and-acls sets it (secrets in a separate file). */
export function serverAgentConfig(count: number): Record<string, unknown> {
    return {
        server: true,
        bootstrap_expect: count,
        datacenter: "dc1",
        data_dir: "/opt/consul/data",
        retry_join: ["provider=aws tag_key=bluegreen:consul-server tag_value=prod"],
        acl: { enabled: true, default_policy: "deny", down_policy: "extend-cache", enable_token_persistence: true },
        ports: { https: 8501, grpc_tls: 8503, http: -1 },
        tls: {
            defaults: { ca_file: "/etc/consul.d/tls/ca.pem", cert_file: "/etc/consul.d/tls/server.pem", key_file: "/etc/consul.d/tls/server-key.pem", verify_outgoing: true },
            internal_rpc: { verify_incoming: true, verify_server_hostname: true },
            grpc: { verify_incoming: false },
            https: { verify_incoming: false },
        },
        connect: { enabled: true },
        enable_central_service_config: true,
    };
}

/** EC2 user data that writes the agent config with a heredoc, base64 as launch templates take it. */
export function userDataFor(config: Record<string, unknown>): string {
    const script = [
        "#!/bin/bash",
        "set -euo pipefail",
        "cat > /etc/consul.d/consul.json <<'EOF'",
        JSON.stringify(config, null, 2),
        "EOF",
        "aws secretsmanager get-secret-value --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:gossip --query SecretString --output text > /etc/consul.d/gossip",
        "systemctl enable --now consul",
    ].join("\n");
    return Buffer.from(script).toString("base64");
}

/** A complete, safe stack: every rule of the pack accepts it. */
export function safeStack(stack = "prod"): PlanRecord[] {
    const records: PlanRecord[] = [];
    const add = (type: string, name: string, inputs: Record<string, unknown>, dependsOn: readonly PlanRecord[] = []) => {
        const r = resource(type, name, inputs, { stack, dependsOn });
        records.push(r);
        return r;
    };
    add(T.vpc, "network-vpc", { cidrBlock: "10.50.0.0/16", numberOfAvailabilityZones: 3 });
    const sg = Object.fromEntries(["alb", "gateway", "meshTasks", "servers", "consulApiLb"].map((k) => [k, add(T.sg, `sg-${k}`, { vpcId: "vpc-1", description: k })]));
    for (const port of [80, 443]) {
        add(T.ingress, `sg-alb-in-tcp${port}`, { securityGroupId: mockId("sg-alb"), cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: port, toPort: port }, [sg.alb]);
    }
    add(T.ingress, "sg-gateway-in-tcp8443-alb", { securityGroupId: mockId("sg-gateway"), referencedSecurityGroupId: mockId("sg-alb"), ipProtocol: "tcp", fromPort: 8443, toPort: 8443 }, [sg.gateway, sg.alb]);
    add(T.ingress, "sg-servers-in-tcp8501-meshTasks", { securityGroupId: mockId("sg-servers"), referencedSecurityGroupId: mockId("sg-meshTasks"), ipProtocol: "tcp", fromPort: 8501, toPort: 8501 }, [sg.servers, sg.meshTasks]);
    add(T.ingress, "sg-consulApiLb-in-tcp8501-vpc", { securityGroupId: mockId("sg-consulApiLb"), cidrIpv4: "10.50.0.0/16", ipProtocol: "tcp", fromPort: 8501, toPort: 8501 }, [sg.consulApiLb]);
    add(T.egress, "sg-servers-out-tcp443-anywhere", { securityGroupId: mockId("sg-servers"), cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443 }, [sg.servers]);

    const alb = add(T.lb, "gateway-alb", { internal: false, loadBalancerType: "application", securityGroups: [mockId("sg-alb")], subnets: ["subnet-p1", "subnet-p2"] }, [sg.alb]);
    const tg = add(T.tg, "gateway-tg", { port: 8443, protocol: "HTTP", targetType: "ip", vpcId: "vpc-1" });
    add(T.listener, "gateway-https", { loadBalancerArn: arnOf("elasticloadbalancing", "loadbalancer/app/gateway-alb"), port: 443, protocol: "HTTPS", defaultActions: [{ type: "forward", targetGroupArn: arnOf("elasticloadbalancing", "targetgroup/gateway-tg") }] }, [alb, tg]);
    add(T.listener, "gateway-http", { loadBalancerArn: arnOf("elasticloadbalancing", "loadbalancer/app/gateway-alb"), port: 80, protocol: "HTTP", defaultActions: [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } }] }, [alb]);
    add(T.lb, "consul-api-nlb", { internal: true, loadBalancerType: "network", securityGroups: [mockId("sg-consulApiLb")] }, [sg.consulApiLb]);

    const network = { subnets: ["subnet-a", "subnet-b", "subnet-c"], securityGroups: [mockId("sg-meshTasks")], assignPublicIp: false };
    const gatewayTd = add(T.td, "gateway-td", {
        family: "gateway",
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        containerDefinitions: JSON.stringify(meshContainers({ consulEcsConfig: { bootstrapDir: "/consul", consulServers: { hosts: "consul.internal" }, transparentProxy: { enabled: false }, gateway: { kind: "api-gateway", name: "api-gateway", lanAddress: { port: 8443 } } } })),
        tags: { "consul.hashicorp.com/mesh": "true", "consul.hashicorp.com/service-name": "api-gateway" },
    });
    add(T.service, "gateway-service", { taskDefinition: arnOf("ecs", "task-definition/gateway:1"), desiredCount: 2, propagateTags: "TASK_DEFINITION", networkConfiguration: { ...network, securityGroups: [mockId("sg-gateway")] }, loadBalancers: [{ containerName: "consul-dataplane", containerPort: 8443, targetGroupArn: arnOf("elasticloadbalancing", "targetgroup/gateway-tg") }] }, [gatewayTd, tg]);

    for (const service of ["inventory", "orders"]) {
        for (const colour of ["blue", "green"]) {
            const td = add(T.td, `${service}-${colour}-td`, {
                family: `${service}-${colour}`,
                requiresCompatibilities: ["FARGATE"],
                networkMode: "awsvpc",
                containerDefinitions: JSON.stringify(meshContainers({ apps: [service] })),
                tags: { "consul.hashicorp.com/mesh": "true", "consul.hashicorp.com/service-name": service },
            });
            add(T.service, `${service}-${colour}`, { taskDefinition: arnOf("ecs", `task-definition/${service}-${colour}:1`), desiredCount: 2, propagateTags: "TASK_DEFINITION", networkConfiguration: network, tags: { "bluegreen:service": service, "bluegreen:colour": colour } }, [td]);
        }
        const defaults = add(T.defaults, `${service}-defaults`, { name: service, protocol: "http", exposes: [{}] });
        const resolver = add(T.resolver, `${service}-resolver`, { name: service, defaultSubset: "blue", connectTimeout: "5s", requestTimeout: "15s", subsets: ["blue", "green"].map((c) => ({ name: c, filter: `Service.Meta.version == "${c}"`, onlyPassing: true })) }, [defaults]);
        const splitter = add(T.splitter, `${service}-splitter`, { name: service, splits: [{ service, serviceSubset: "blue", weight: 100 }, { service, serviceSubset: "green", weight: 0 }] }, [resolver]);
        add(T.router, `${service}-router`, { name: service, routes: ["blue", "green"].map((c) => ({ match: { http: { headers: [{ name: "x-bluegreen-color", exact: c }] } }, destination: { service, serviceSubset: c } })) }, [splitter]);
    }

    add(T.secret, "consul-ca-secret", { name: `bluegreen-${stack}-consul-ca`, kmsKeyId: arnOf("kms", "key/0000") });
    add(T.rolePolicy, "orders-blue-task-policy", { role: "orders-blue-task", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["iam:GetRole"], Resource: ["arn:aws:iam::123456789012:role/consul-ecs/orders-blue-task"] }] }) });
    add(T.rolePolicy, "controller-task-policy", { role: "controller", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["ecs:ListTasks"], Resource: "*", Condition: { ArnEquals: { "ecs:cluster": arnOf("ecs", "cluster/bluegreen") } } }, { Effect: "Allow", Action: ["ecs:DescribeTasks"], Resource: arnOf("ecs", "task/bluegreen/*") }] }) });
    add(T.rolePolicy, "servers-policy", { role: "servers", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "AutoJoin", Effect: "Allow", Action: "ec2:DescribeInstances", Resource: "*" }, { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [arnOf("secretsmanager", "secret:gossip")] }] }) });
    add(T.attachment, "servers-ssm", { role: "servers", policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" });

    const lt = add(T.lt, "consul-servers-lt", { imageId: "ami-1", instanceType: "t4g.small", userData: userDataFor(serverAgentConfig(3)), metadataOptions: { httpTokens: "required" } });
    add(T.asg, "consul-servers", { desiredCapacity: 3, minSize: 3, maxSize: 3, vpcZoneIdentifiers: ["subnet-a", "subnet-b", "subnet-c"], launchTemplate: { id: mockId("consul-servers-lt"), version: "$Latest" }, tags: [{ key: "bluegreen:consul-server", value: stack, propagateAtLaunch: true }] }, [lt]);
    return records;
}

/** The safe stack plus one ingress rule opening `port` on group `sg-<group>` to `cidr`. */
export function openIngressRule(name: string, group: string, port: number, cidr = "0.0.0.0/0"): PlanRecord[] {
    const stack = safeStack();
    const sg = stack.find((r) => r.name === `sg-${group}`);
    return [...stack, resource(T.ingress, name, { securityGroupId: mockId(`sg-${group}`), cidrIpv4: cidr, ipProtocol: "tcp", fromPort: port, toPort: port }, { dependsOn: sg ? [sg] : [] })];
}
