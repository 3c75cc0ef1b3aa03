// For each link of the start-up: take the example plan (dev and prod) with every link holding, break
// that one link by editing its records, and see the preflight name exactly that step and resource.
import { expect } from "chai";
import { dropStatement, editContainers, editJson, editPolicy, editUserData, failedLinksOf, MutablePlan, record, remove, repairedPlan } from "../support/preflightFixtures";

type Stack = "dev" | "prod";
interface Break {
    readonly link: string;
    readonly stacks: readonly Stack[];
    readonly edit: (plan: MutablePlan, stack: Stack) => void;
    /** The failures expected, as `step resource`. */
    readonly expected: readonly string[] | ((stack: Stack) => readonly string[]);
}

const dropRule = (name: string, kind: "Ingress" | "Egress") => (plan: MutablePlan) => remove(plan, name, `:SecurityGroup${kind}Rule`);
const hostsOf = (stack: Stack) => (stack === "prod" ? "exec=discover" : "consul-server.dev.bluegreen.internal");

function editEcsConfig(plan: MutablePlan, taskDefinition: string, edit: (config: Record<string, unknown>) => void): void {
    editContainers(plan, taskDefinition, (containers) => {
        for (const c of containers) {
            for (const env of c.environment ?? []) {
                if (env.name === "CONSUL_ECS_CONFIG_JSON") {
                    const config = JSON.parse(env.value) as Record<string, unknown>;
                    edit(config);
                    env.value = JSON.stringify(config);
                }
            }
        }
    });
}

const BREAKS: readonly Break[] = [
    {
        link: "servers: bootstrap_expect differs from the server count",
        stacks: ["prod"],
        edit: (plan) => editUserData(plan, (s) => s.replace('"bootstrap_expect": 3', '"bootstrap_expect": 5')),
        expected: ["servers.bootstrap consul-server"],
    },
    {
        link: "servers: the dev server is not in bootstrap mode",
        stacks: ["dev"],
        edit: (plan) =>
            editContainers(plan, "consul-server", (cs) => {
                const env = cs[0].environment?.find((e) => e.name === "BLUEGREEN_AGENT_CONFIG");
                if (env) env.value = env.value.replace('"bootstrap": true', '"bootstrap": false');
            }),
        expected: ["servers.bootstrap consul-server"],
    },
    {
        link: "servers: retry_join's ec2:DescribeInstances not allowed to the instance role",
        stacks: ["prod"],
        edit: (plan) => dropStatement(plan, "consul-server", "CloudAutoJoin"),
        expected: ["servers.join consul-server"],
    },
    {
        link: "servers: the instances do not carry the tag retry_join looks for",
        stacks: ["prod"],
        edit: (plan) => {
            const specs = record(plan, "consul-server", ":LaunchTemplate").inputs.tagSpecifications as { resourceType: string; tags: Record<string, string> }[];
            specs.filter((s) => s.resourceType === "instance").forEach((s) => (s.tags["bluegreen-consul-server"] = "someone-else"));
        },
        // Mesh tasks and the controller look for the same tag, so they cannot find the servers either.
        expected: ["controller.discovery consul-server", "mesh.discovery consul-server", "servers.join consul-server"],
    },
    {
        link: "servers: server RPC 8300 refused by the servers' group",
        stacks: ["prod"],
        edit: dropRule("sg-servers-in-tcp8300-servers", "Ingress"),
        expected: ["servers.ports sg-servers"],
    },
    {
        link: "servers: LAN gossip udp/8301 not allowed out of the servers' group",
        stacks: ["prod"],
        edit: dropRule("sg-servers-out-udp8301-servers", "Egress"),
        expected: ["servers.ports sg-servers"],
    },
    {
        link: "servers: a boot secret the servers' role may not read",
        stacks: ["dev", "prod"],
        edit: (plan, stack) =>
            editPolicy(plan, stack === "prod" ? "consul-server" : "consul-server-execution", (doc) => {
                const read = doc.Statement.find((s) => JSON.stringify(s.Action).includes("secretsmanager:GetSecretValue"));
                if (read) read.Resource = (read.Resource as string[]).filter((arn) => !arn.includes("server-key"));
            }),
        expected: (stack) => [`servers.secrets ${stack === "prod" ? "consul-server" : "consul-server-execution"}`],
    },
    {
        link: "api: the load balancer's target group sends to another port than the servers' HTTPS",
        stacks: ["dev", "prod"],
        edit: (plan) => (record(plan, "consul-api", ":TargetGroup").inputs.port = 8500),
        expected: ["api.listener consul-api"],
    },
    {
        link: "api: the internal load balancer refuses the VPC on 8501",
        stacks: ["dev", "prod"],
        edit: dropRule("sg-consulApiLb-in-tcp8501-vpc", "Ingress"),
        expected: ["api.operator sg-consulApiLb"],
    },
    {
        link: "api: the load balancer may not send to the servers",
        stacks: ["dev", "prod"],
        edit: dropRule("sg-consulApiLb-out-tcp8501-servers", "Egress"),
        expected: ["api.operator sg-consulApiLb"],
    },
    {
        link: "api: the SSM tunnel's hop from a server to the load balancer",
        stacks: ["prod"],
        edit: dropRule("sg-servers-out-tcp8501-consulApiLb", "Egress"),
        expected: ["api.tunnel sg-servers"],
    },
    {
        link: "api: pulumi's Consul provider points elsewhere than the listener",
        stacks: ["dev", "prod"],
        edit: (plan) => (record(plan, "consul-consul", "providers:consul").inputs.address = "consul.example.com:8501"),
        expected: ["api.pulumi consul-consul"],
    },
    {
        // (Its ingress rule on the load balancer alone is not a break: the VPC's range is admitted too.)
        link: "rollout engine: the engine's function may not send to the API load balancer",
        stacks: ["dev", "prod"],
        edit: dropRule("sg-rolloutEngine-out-tcp8501-consulApiLb", "Egress"),
        expected: ["api.client sg-rolloutEngine"],
    },
    {
        link: "rollout engine: the function's role may not read its Consul token",
        stacks: ["dev", "prod"],
        edit: (plan) =>
            editPolicy(plan, "rollout-function", (doc) => {
                const read = doc.Statement.find((s) => s.Sid === "ReadConsulTokenAndCa");
                if (read) read.Resource = (read.Resource as string[]).filter((arn) => !arn.includes("rollout-token"));
            }),
        expected: ["api.clientSecrets rollout-function"],
    },
    {
        link: "controller: its group may not reach the servers' HTTPS API",
        stacks: ["dev", "prod"],
        edit: dropRule("sg-controller-out-tcp8501-servers", "Egress"),
        expected: ["controller.network sg-controller"],
    },
    {
        link: "controller: ec2:DescribeInstances not allowed to its task role (issue 10, defect 1)",
        stacks: ["prod"],
        edit: (plan) => dropStatement(plan, "consul-ecs-controller-task", "DiscoverConsulServers"),
        expected: ["controller.discovery consul-ecs-controller-task"],
    },
    {
        link: "controller: its hosts name a DNS name no server registers",
        stacks: ["dev"],
        edit: (plan) => editEcsConfig(plan, "consul-ecs-controller-taskdef", (c) => ((c.consulServers as Record<string, unknown>).hosts = "consul.dev.bluegreen.internal")),
        expected: ["controller.discovery consul-ecs-controller-taskdef"],
    },
    {
        link: "controller: its execution role may not read its token",
        stacks: ["dev", "prod"],
        edit: (plan) =>
            editPolicy(plan, "consul-ecs-controller-execution", (doc) => {
                const read = doc.Statement.find((s) => s.Sid === "ReadInjectedSecrets");
                if (read) read.Resource = (read.Resource as string[]).filter((arn) => !arn.includes("controller-token"));
            }),
        expected: ["controller.token consul-ecs-controller-execution"],
    },
    {
        link: "controller: its execution role may not decrypt with the stack's key",
        stacks: ["dev", "prod"],
        edit: (plan) => dropStatement(plan, "consul-ecs-controller-execution", "DecryptInjectedSecrets"),
        expected: ["controller.secrets consul-ecs-controller-execution", "controller.token consul-ecs-controller-execution"],
    },
    {
        link: "controller: its ACL policy lacks agent read",
        stacks: ["dev", "prod"],
        edit: (plan) => {
            const policy = record(plan, "consul-ecs-controller-policy", ":AclPolicy");
            policy.inputs.rules = String(policy.inputs.rules).replace(/agent_prefix "" \{\s*policy = "read"\s*\}/, "");
        },
        expected: ["controller.aclPolicy consul-ecs-controller-policy"],
    },
    {
        link: "controller: its ACL policy has acl read only",
        stacks: ["dev", "prod"],
        edit: (plan) => {
            const policy = record(plan, "consul-ecs-controller-policy", ":AclPolicy");
            policy.inputs.rules = String(policy.inputs.rules).replace('acl = "write"', 'acl = "read"');
        },
        expected: ["controller.aclPolicy consul-ecs-controller-policy"],
    },
    {
        link: "controller: its task role may not describe the cluster's tasks",
        stacks: ["dev", "prod"],
        edit: (plan) => dropStatement(plan, "consul-ecs-controller-task", "DescribeTasksOfOwnCluster"),
        expected: ["controller.ecsTasks consul-ecs-controller-task"],
    },
    {
        link: "mesh task: the execution role may not read the CA it injects",
        stacks: ["dev", "prod"],
        edit: (plan) => editPolicy(plan, "orders-blue-execution", (doc) => (doc.Statement[0].Resource = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:something-else-AbCdEf"])),
        expected: ["mesh.secrets orders-blue-execution"],
    },
    {
        link: "mesh task: the execution role may not decrypt the CA",
        stacks: ["dev", "prod"],
        edit: (plan) => dropStatement(plan, "inventory-green-execution", "DecryptInjectedSecrets"),
        expected: ["mesh.secrets inventory-green-execution"],
    },
    {
        link: "mesh task: mesh-init's ec2:DescribeInstances not allowed",
        stacks: ["prod"],
        edit: (plan) => dropStatement(plan, "orders-green-task", "DiscoverConsulServers"),
        expected: ["mesh.discovery orders-green-task"],
    },
    {
        link: "mesh task: the servers refuse mesh tasks on 8501",
        stacks: ["dev", "prod"],
        edit: dropRule("sg-servers-in-tcp8501-meshTasks", "Ingress"),
        expected: ["mesh.network sg-servers"],
    },
    {
        link: "mesh task: the dataplane may not reach gRPC 8503",
        stacks: ["dev", "prod"],
        edit: dropRule("sg-meshTasks-out-tcp8503-servers", "Egress"),
        expected: ["mesh.dataplane sg-meshTasks"],
    },
    {
        link: "mesh task: the task role is not under the auth method's path",
        stacks: ["dev", "prod"],
        edit: (plan) => {
            // The role's ARN carries its path: the task definition and the role's own policy follow it.
            record(plan, "inventory-blue-task", ":Role").inputs.path = "/";
            const moved = (text: string) => text.replace("role/consul-ecs/inventory-blue-task", "role/inventory-blue-task");
            const taskDefinition = record(plan, "inventory-blue-taskdef", ":TaskDefinition");
            taskDefinition.inputs.taskRoleArn = moved(String(taskDefinition.inputs.taskRoleArn));
            editPolicy(plan, "inventory-blue-task", (doc) => (doc.Statement[0].Resource = moved(String(doc.Statement[0].Resource))));
        },
        expected: ["mesh.login inventory-blue-task"],
    },
    {
        link: "mesh task: the role's service-name tag differs from the Consul service name",
        stacks: ["dev", "prod"],
        edit: (plan) => ((record(plan, "orders-green-task", ":Role").inputs.tags as Record<string, string>)["consul.hashicorp.com.service-name"] = "order"),
        expected: ["mesh.login orders-green-task"],
    },
    {
        link: "mesh task: iam:GetRole allowed on another role than its own",
        stacks: ["dev", "prod"],
        edit: (plan) => editPolicy(plan, "inventory-blue-task", (doc) => (doc.Statement[0].Resource = String(doc.Statement[0].Resource).replace("inventory-blue", "inventory-green"))),
        expected: ["mesh.login inventory-blue-task"],
    },
    {
        link: "mesh task: consulLogin off",
        stacks: ["dev", "prod"],
        edit: (plan) => editEcsConfig(plan, "api-gateway-taskdef", (c) => (c.consulLogin = { enabled: false })),
        expected: ["mesh.login api-gateway-taskdef"],
    },
    {
        link: "upstream: the callee's group refuses Envoy's 20000",
        stacks: ["dev", "prod"],
        edit: dropRule("sg-meshTasks-in-tcp20000-meshTasks", "Ingress"),
        expected: ["traffic.upstream sg-meshTasks"],
    },
    {
        link: "upstream: the callee's intentions do not list the caller",
        stacks: ["dev", "prod"],
        edit: (plan) => (record(plan, "traffic-inventory-intentions", ":ConfigEntryServiceIntentions").inputs.sources = [{ action: "allow", name: "payments", precedence: 9, type: "consul" }]),
        expected: ["traffic.upstream traffic-inventory-intentions"],
    },
    {
        link: "gateway route: the gateway may not reach the routed service's 20000",
        stacks: ["dev", "prod"],
        edit: dropRule("sg-gateway-out-tcp20000-meshTasks", "Egress"),
        expected: ["gateway.route sg-gateway"],
    },
    {
        link: "gateway route: the routed service's intentions deny the gateway",
        stacks: ["dev", "prod"],
        edit: (plan) => (record(plan, "traffic-orders-intentions", ":ConfigEntryServiceIntentions").inputs.sources = [{ action: "deny", name: "api-gateway", precedence: 9, type: "consul" }]),
        expected: ["gateway.route traffic-orders-intentions"],
    },
    {
        link: "gateway route: the route hangs off a listener the gateway does not have",
        stacks: ["dev", "prod"],
        edit: (plan) => editJson<{ Parents: { SectionName: string }[] }>(record(plan, "mesh-route-orders", ":ConfigEntry"), "configJson", (doc) => (doc.Parents[0].SectionName = "https")),
        expected: ["gateway.route mesh-route-orders"],
    },
    {
        link: "upstream config: a service tunes ejection and limits of a service it does not call",
        stacks: ["dev", "prod"],
        edit: (plan) => editJson<Record<string, unknown>>(record(plan, "traffic-inventory-defaults", ":ConfigEntry"), "configJson", (doc) => (doc.UpstreamConfig = { Overrides: [{ Name: "orders", Limits: { MaxConnections: 10 } }] })),
        expected: ["traffic.upstreamConfig traffic-inventory-defaults"],
    },
    {
        link: "sticky canary: the router's cookie lane leads to a virtual service the plan does not split",
        stacks: ["dev", "prod"],
        edit: (plan) => {
            const router = record(plan, "traffic-orders-router", ":ConfigEntryServiceRouter");
            router.inputs.routes = [...(router.inputs.routes as unknown[]), { match: { http: { headers: [{ name: "cookie", regex: "^bluegreen-orders=green$" }] } }, destination: { service: "orders-sticky-green" } }];
        },
        expected: ["traffic.sticky traffic-orders-router"],
    },
    {
        link: "ALB: the gateway's group refuses the ALB on 8443",
        stacks: ["dev", "prod"],
        edit: dropRule("sg-gateway-in-tcp8443-alb", "Ingress"),
        expected: ["alb.gateway sg-gateway", "alb.healthCheck sg-gateway"],
    },
    {
        link: "ALB: the gateway service registers another port than the gateway listens on",
        stacks: ["dev", "prod"],
        edit: (plan) => ((record(plan, "api-gateway-service", "ecs/service:Service").inputs.loadBalancers as { containerPort: number }[])[0].containerPort = 8080),
        expected: ["alb.gateway api-gateway-service"],
    },
    {
        link: "ALB: the health check's matcher refuses the gateway's 404",
        stacks: ["dev", "prod"],
        edit: (plan) => ((record(plan, "api-gateway-tg", ":TargetGroup").inputs.healthCheck as Record<string, unknown>).matcher = "200"),
        expected: ["alb.healthCheck api-gateway-tg"],
    },
    {
        link: "ALB: the internet cannot reach the listener",
        stacks: ["prod"],
        edit: dropRule("sg-alb-in-tcp443-anywhere", "Ingress"),
        expected: ["alb.internet sg-alb"],
    },
    {
        link: "ALB: the listener forwards a request that carries the colour header (issue 10, defect 2)",
        stacks: ["dev", "prod"],
        edit: (plan) => remove(plan, plan.resources.find((r) => r.name.endsWith("-colour-header-refused"))?.name ?? "(none)", ":ListenerRule"),
        expected: (stack) => [`alb.colourHeader ${stack === "prod" ? "api-gateway-https" : "api-gateway-http"}`],
    },
    {
        link: "ALB: a preview rule for 0.0.0.0/0 lets the whole internet pick a colour",
        stacks: ["dev", "prod"],
        edit: (plan) => {
            const refusal = plan.resources.find((r) => r.name.endsWith("-colour-header-refused"));
            expect(refusal, "the repaired plan refuses the header").to.not.equal(undefined);
            plan.resources.push({
                type: "aws:lb/listenerRule:ListenerRule",
                name: "colour-preview-everyone",
                urn: "urn:pulumi:t::bluegreen::aws:lb/listenerRule:ListenerRule::colour-preview-everyone",
                inputs: {
                    listenerArn: refusal?.inputs.listenerArn,
                    priority: 1,
                    conditions: [{ httpHeader: { httpHeaderName: "X-Bluegreen-Color", values: ["*"] } }, { sourceIp: { values: ["0.0.0.0/0"] } }],
                    actions: [{ type: "forward", targetGroupArn: "arn:aws:lb:eu-west-1:123456789012:targetgroup/api-gateway-tg-mock" }],
                },
            });
        },
        expected: (stack) => [`alb.colourHeader ${stack === "prod" ? "api-gateway-https" : "api-gateway-http"}`],
    },
    {
        link: "IAM: a misspelt action grants nothing",
        stacks: ["prod"],
        edit: (plan) => editPolicy(plan, "inventory-blue-task", (doc) => (doc.Statement[1].Action = ["ec2:DescribeInstance"])),
        expected: ["iam.actions inventory-blue-task", "mesh.discovery inventory-blue-task"],
    },
];

describe("preflight: each link of the start-up, broken on its own", function () {
    for (const b of BREAKS) {
        for (const stack of b.stacks) {
            it(`${stack}: ${b.link}`, async () => {
                // exampleStacks.test.ts shows the repaired plan passes every step before any break.
                const plan = await repairedPlan(stack);
                b.edit(plan, stack);
                const expected = typeof b.expected === "function" ? b.expected(stack) : b.expected;
                expect(await failedLinksOf(plan)).to.deep.equal([...expected].sort());
            });
        }
    }

    it("a caller's ejection and limits for its upstream, and a sticky lane with its virtual service, pass", async () => {
        for (const stack of ["dev", "prod"] as const) {
            const plan = await repairedPlan(stack);
            editJson<Record<string, unknown>>(record(plan, "traffic-orders-defaults", ":ConfigEntry"), "configJson", (doc) => (doc.UpstreamConfig = { Overrides: [{ Name: "inventory", Limits: { MaxConnections: 10 } }] }));
            const router = record(plan, "traffic-orders-router", ":ConfigEntryServiceRouter");
            router.inputs.routes = [...(router.inputs.routes as unknown[]), { match: { http: { headers: [{ name: "cookie", regex: "^bluegreen-orders=green$" }] } }, destination: { service: "orders-sticky-green" } }];
            const urn = (type: string, name: string) => `urn:pulumi:${stack}::bluegreen::${type}::${name}`;
            plan.resources.push(
                { type: "consul:index/configEntry:ConfigEntry", name: "sticky-defaults", urn: urn("consul:index/configEntry:ConfigEntry", "sticky-defaults"), inputs: { kind: "service-defaults", name: "orders-sticky-green", configJson: '{"Protocol":"http"}' } },
                {
                    type: "consul:index/configEntryServiceSplitter:ConfigEntryServiceSplitter",
                    name: "sticky-splitter",
                    urn: urn("consul:index/configEntryServiceSplitter:ConfigEntryServiceSplitter", "sticky-splitter"),
                    inputs: { name: "orders-sticky-green", splits: [{ service: "orders", weight: 100 }] },
                },
            );
            expect(await failedLinksOf(plan)).to.deep.equal([]);
        }
    });

    it("dev and prod find the servers differently (DNS name, go-discover)", async () => {
        for (const stack of ["dev", "prod"] as const) {
            const plan = await repairedPlan(stack);
            const controller = record(plan, "consul-ecs-controller-taskdef", ":TaskDefinition");
            expect(String(controller.inputs.containerDefinitions)).to.include(hostsOf(stack));
        }
    });
});
