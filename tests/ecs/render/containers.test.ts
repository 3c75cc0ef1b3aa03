// The pure task builders, field by field: what consul-ecs 0.10 requires of every container
// (docs/platform-facts.md#mesh-tasks, #the-consul-ecs-config, #the-controller, #the-api-gateway), for a service with and without upstreams, the API gateway
// and the controller.
import { expect } from "chai";
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { consulServersDocument } from "../../../src/ecs/render/consulEcsConfig";
import { appEnvironment, controllerTask, gatewayTask, MeshTask, serviceTask } from "../../../src/ecs/render/containers";
import { FAKE_SERVICE, inventory, orders, platform } from "../../support/meshFixtures";
import { CA_ARN, DB_PASSWORD_ARN, GREEN_API_KEY_ARN } from "../../support/fakeArns";

/** What ECS receives: the definitions as JSON, so absent and undefined fields look the same. */
function sent(task: { containerDefinitions: ContainerDefinition[] }): Record<string, ContainerDefinition> {
    const parsed = JSON.parse(JSON.stringify(task.containerDefinitions)) as ContainerDefinition[];
    return Object.fromEntries(parsed.map((c) => [c.name as string, c]));
}

const LOGS = (prefix: string) => ({
    logDriver: "awslogs",
    options: { "awslogs-group": "/bluegreen/dev", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": prefix },
});
const CA_SECRETS = [
    { name: "CONSUL_HTTPS_CACERT_PEM", valueFrom: CA_ARN },
    { name: "CONSUL_GRPC_CACERT_PEM", valueFrom: CA_ARN },
];
const SERVERS = {
    hosts: "consul.bluegreen-dev.internal",
    defaults: { tls: true, tlsServerName: "server.dc1.consul" },
    http: { https: true, port: 8501 },
    grpc: { port: 8503 },
};

describe("mesh task builder: a service with an upstream (orders, blue)", () => {
    let task: MeshTask;
    let c: Record<string, ContainerDefinition>;
    before(() => {
        task = serviceTask(orders, "blue", platform);
        c = sent(task);
    });

    it("has the app first, then mesh-init, dataplane and health-sync, and two empty volumes", () => {
        expect(task.containerDefinitions.map((d) => d.name)).to.deep.equal(["orders", "consul-ecs-mesh-init", "consul-dataplane", "consul-ecs-health-sync"]);
        expect(task.volumes).to.deep.equal([{ name: "consul_data" }, { name: "consul_binary" }]);
    });

    it("builds the app container from the colour's image, env and secrets, started after a healthy dataplane", () => {
        expect(c.orders).to.deep.equal({
            name: "orders",
            image: FAKE_SERVICE,
            essential: true,
            environment: [
                { name: "MESSAGE", value: "orders blue" },
                { name: "NAME", value: "orders" },
                { name: "UPSTREAM_URIS", value: "http://localhost:9001" },
            ],
            secrets: [{ name: "DB_PASSWORD", valueFrom: DB_PASSWORD_ARN }],
            dependsOn: [{ containerName: "consul-dataplane", condition: "HEALTHY" }],
            stopTimeout: 30,
            logConfiguration: LOGS("orders-blue"),
            healthCheck: {
                command: ["CMD-SHELL", "curl -fsS -o /dev/null 'http://127.0.0.1:9090/health' || exit 1"],
                interval: 10,
                timeout: 5,
                retries: 3,
                startPeriod: 30,
            },
        });
    });

    it("runs mesh-init as root with the config, the CA secrets and both volumes, and no capabilities", () => {
        const meshInit = c["consul-ecs-mesh-init"];
        expect(meshInit).to.deep.equal({
            name: "consul-ecs-mesh-init",
            image: "public.ecr.aws/hashicorp/consul-ecs:0.10.0",
            essential: false,
            command: ["mesh-init"],
            mountPoints: [
                { sourceVolume: "consul_data", containerPath: "/consul", readOnly: false },
                { sourceVolume: "consul_binary", containerPath: "/bin/consul-inject", readOnly: true },
            ],
            environment: [{ name: "CONSUL_ECS_CONFIG_JSON", value: JSON.stringify(task.config) }],
            secrets: CA_SECRETS,
            linuxParameters: { initProcessEnabled: true },
            logConfiguration: LOGS("orders-blue"),
        });
        expect(meshInit).to.not.have.property("user");
        expect(meshInit).to.not.have.property("dependsOn");
    });

    it("runs the dataplane essential, as user 5995, through envoy-entrypoint, after mesh-init succeeded, knowing its stack, service and colour", () => {
        expect(c["consul-dataplane"]).to.deep.equal({
            name: "consul-dataplane",
            image: "hashicorp/consul-dataplane:2.0.1",
            essential: true,
            user: "5995",
            entryPoint: ["/consul/consul-ecs", "envoy-entrypoint"],
            command: ["consul-dataplane", "-config-file", "/consul/consul-dataplane.json"],
            // What Envoy prints in each access log line (%ENVIRONMENT(...)%), for the mesh metrics' dimensions.
            environment: [
                { name: "BLUEGREEN_COLOUR", value: "blue" },
                { name: "BLUEGREEN_SERVICE", value: "orders" },
                { name: "BLUEGREEN_STACK", value: "dev" },
            ],
            mountPoints: [{ sourceVolume: "consul_data", containerPath: "/consul", readOnly: true }],
            dependsOn: [{ containerName: "consul-ecs-mesh-init", condition: "SUCCESS" }],
            healthCheck: { command: ["CMD", "/consul/consul-ecs", "net-dial", "127.0.0.1:22000"], interval: 5, timeout: 5, retries: 10 },
            ulimits: [{ name: "nofile", softLimit: 1048576, hardLimit: 1048576 }],
            logConfiguration: LOGS("orders-blue"),
        });
    });

    it("runs health-sync as user 5996 with the config and CA secrets, after mesh-init succeeded", () => {
        expect(c["consul-ecs-health-sync"]).to.deep.equal({
            name: "consul-ecs-health-sync",
            image: "public.ecr.aws/hashicorp/consul-ecs:0.10.0",
            essential: false,
            user: "5996",
            command: ["health-sync"],
            mountPoints: [{ sourceVolume: "consul_data", containerPath: "/consul", readOnly: true }],
            dependsOn: [{ containerName: "consul-ecs-mesh-init", condition: "SUCCESS" }],
            environment: [{ name: "CONSUL_ECS_CONFIG_JSON", value: JSON.stringify(task.config) }],
            secrets: CA_SECRETS,
            linuxParameters: { initProcessEnabled: true },
            logConfiguration: LOGS("orders-blue"),
        });
    });

    it("writes the CONSUL_ECS_CONFIG_JSON document with every trap spelt out", () => {
        expect(task.config).to.deep.equal({
            bootstrapDir: "/consul",
            consulServers: SERVERS,
            consulLogin: { enabled: true, method: "iam-ecs-service-token" },
            service: { name: "orders", port: 9090, meta: { version: "blue" } },
            proxy: { upstreams: [{ destinationName: "inventory", localBindPort: 9001 }] },
            transparentProxy: { enabled: false },
            healthSyncContainers: ["orders"],
        });
    });

    it("gives green the same Consul name, its own version, image, env and secrets", () => {
        const green = serviceTask(orders, "green", platform);
        const app = sent(green).orders;
        expect(green.config.service).to.deep.equal({ name: "orders", port: 9090, meta: { version: "green" } });
        expect(app.image).to.equal("nicholasjackson/fake-service:v0.26.1");
        expect(app.environment).to.deep.include({ name: "MESSAGE", value: "orders green" });
        expect(app.secrets).to.deep.equal([
            { name: "API_KEY", valueFrom: GREEN_API_KEY_ARN },
            { name: "DB_PASSWORD", valueFrom: DB_PASSWORD_ARN },
        ]);
        expect(app.logConfiguration?.options?.["awslogs-stream-prefix"]).to.equal("orders-green");
    });
});

describe("mesh task builder: a service without upstreams or health check (inventory)", () => {
    it("sets no UPSTREAM_URIS, no proxy block, no app health check and syncs no app container", () => {
        const task = serviceTask(inventory, "blue", platform);
        const c = sent(task);
        expect(c.inventory.environment).to.deep.equal([{ name: "NAME", value: "inventory" }]);
        expect(c.inventory).to.not.have.property("secrets");
        expect(c.inventory).to.not.have.property("healthCheck");
        expect(task.config).to.not.have.property("proxy");
        expect(task.config.healthSyncContainers).to.deep.equal([]);
        expect(task.config.service).to.deep.equal({ name: "inventory", port: 8080, meta: { version: "blue" } });
        expect(c["consul-dataplane"].dependsOn).to.deep.equal([{ containerName: "consul-ecs-mesh-init", condition: "SUCCESS" }]);
    });

    it("refuses a colour without an image", () => {
        expect(() => serviceTask(inventory, "green", platform)).to.throw(/inventory.green has no image/);
    });
});

describe("mesh task builder: app environment", () => {
    it("lists every upstream in order, and lets the config set UPSTREAM_URIS itself", () => {
        const two = { ...orders, upstreams: [...orders.upstreams, { service: "payments", localPort: 9002 }] };
        expect(appEnvironment(two, "blue").UPSTREAM_URIS).to.equal("http://localhost:9001,http://localhost:9002");
        const own = { ...orders, env: { ...orders.env, UPSTREAM_URIS: "http://localhost:9001/v2" } };
        expect(appEnvironment(own, "blue").UPSTREAM_URIS).to.equal("http://localhost:9001/v2");
    });
});

describe("mesh task builder: API gateway", () => {
    it("has no app, and an essential dataplane that publishes the listener port", () => {
        const task = gatewayTask(platform, "api-gateway");
        const c = sent(task);
        expect(task.containerDefinitions.map((d) => d.name)).to.deep.equal(["consul-ecs-mesh-init", "consul-dataplane", "consul-ecs-health-sync"]);
        expect(c["consul-dataplane"]).to.include({ essential: true, user: "5995" });
        expect(c["consul-dataplane"].portMappings).to.deep.equal([{ containerPort: 8443, hostPort: 8443, protocol: "tcp" }]);
        // No colour: the gateway's lines never count as a colour's requests.
        expect(c["consul-dataplane"].environment).to.equal(undefined);
        expect(c["consul-ecs-health-sync"]).to.include({ user: "5996", essential: false });
        expect(c["consul-ecs-mesh-init"].logConfiguration?.options?.["awslogs-stream-prefix"]).to.equal("api-gateway");
        expect(task.config).to.deep.equal({
            bootstrapDir: "/consul",
            consulServers: SERVERS,
            consulLogin: { enabled: true, method: "iam-ecs-service-token" },
            gateway: { kind: "api-gateway", name: "api-gateway", lanAddress: { port: 8443 } },
            transparentProxy: { enabled: false },
            healthSyncContainers: [],
        });
    });
});

describe("mesh task builder: controller", () => {
    it("runs consul-ecs controller read-only, with its token and the CA from Secrets Manager", () => {
        const tokenArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/dev/consul-ecs-controller-token-AbCdEf";
        const task = controllerTask(platform, tokenArn);
        expect(sent(task)["consul-ecs-controller"]).to.deep.equal({
            name: "consul-ecs-controller",
            image: "public.ecr.aws/hashicorp/consul-ecs:0.10.0",
            essential: true,
            command: ["controller"],
            environment: [{ name: "CONSUL_ECS_CONFIG_JSON", value: JSON.stringify(task.config) }],
            secrets: [{ name: "CONSUL_HTTP_TOKEN", valueFrom: tokenArn }, ...CA_SECRETS],
            readonlyRootFilesystem: true,
            linuxParameters: { initProcessEnabled: true },
            logConfiguration: LOGS("consul-ecs-controller"),
        });
        expect(task.config).to.deep.equal({ bootstrapDir: "/consul", consulServers: SERVERS, controller: { iamRolePath: "/consul-ecs/" } });
    });
});

describe("consulServers document", () => {
    it("accepts a DNS name, an IP and an exec= command, and refuses a scheme or a port", () => {
        const base = platform.servers;
        expect(consulServersDocument({ ...base, hosts: "10.0.1.10" }).hosts).to.equal("10.0.1.10");
        const exec = "exec=discover -q addrs provider=aws region=eu-west-1 tag_key=consul tag_value=prod";
        expect(consulServersDocument({ ...base, hosts: exec }).hosts).to.equal(exec);
        expect(() => consulServersDocument({ ...base, hosts: "https://consul.internal" })).to.throw(/scheme or a port/);
        expect(() => consulServersDocument({ ...base, hosts: "consul.internal:8501" })).to.throw(/scheme or a port/);
        expect(() => consulServersDocument({ ...base, hosts: " " })).to.throw(/empty/);
    });
});
