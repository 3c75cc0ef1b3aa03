import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { executionRolePolicy, meshTaskRolePolicy } from "./render/taskPolicies";
import { COLOUR_TAG, CONSUL_ECS_ROLE_PATH, MESH_TAG, ROLE_SERVICE_NAME_TAG, SERVICE_NAME_TAG, SERVICE_TAG } from "../shared/meshNames";
import { MeshPlatform, resolvePlatform, validatePlatform } from "./platform";
import { appSecrets, meshVolumes, serviceTask, TaskPlatform } from "./render/containers";
import { Colour, COLOURS, ServiceConfig } from "../config";
import { createTaskRoles } from "./taskRoles";

export interface MeshServiceArgs {
    /** The service, as validated stack config. */
    readonly service: ServiceConfig;
    readonly platform: MeshPlatform;
    /** The mesh tasks' security group (Envoy's 20000 open to mesh tasks and the gateway only). */
    readonly securityGroupId: pulumi.Input<string>;
}

/** What one colour runs. */
export interface ColourDeployment {
    readonly ecsServiceName: pulumi.Output<string>;
    readonly taskDefinitionArn: pulumi.Output<string>;
    readonly taskRoleArn: pulumi.Output<string>;
    readonly desiredCount: number;
}

/**
 * One service of the mesh as two ECS Fargate services, blue and green, registering the same Consul
 * service name and told apart by `service.meta.version`. Each colour has its own task role (its
 * Consul identity), execution role, task definition and ECS service, all named `<name>-<colour>-*`
 * and built only from that colour's config plus the service's shared settings, so changing one
 * colour never touches the other's resources. A colour without an image runs nothing; a colour with
 * an image and count 0 keeps its task definition and an ECS service at 0 tasks, ready to scale up.
 */
export class MeshService extends pulumi.ComponentResource {
    /** The Consul service name (both colours). */
    public readonly serviceName: string;
    public readonly colours: Readonly<Partial<Record<Colour, ColourDeployment>>>;

    constructor(name: string, args: MeshServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:ecs:MeshService", name, {}, opts);
        const owner = `MeshService ${name}`;
        validatePlatform(owner, args.platform);
        const service = args.service;

        const platform = resolvePlatform(args.platform);
        const colours: Partial<Record<Colour, ColourDeployment>> = {};
        for (const colour of COLOURS) {
            if (service[colour].image !== undefined) {
                colours[colour] = this.deployColour(name, colour, args, platform);
            }
        }
        this.serviceName = service.name;
        this.colours = colours;
        this.registerOutputs({
            serviceName: this.serviceName,
            colours: Object.fromEntries(Object.entries(colours).map(([c, d]) => [c, { ecsServiceName: d.ecsServiceName, taskDefinitionArn: d.taskDefinitionArn }])),
        });
    }

    private deployColour(name: string, colour: Colour, args: MeshServiceArgs, platform: pulumi.Output<TaskPlatform>): ColourDeployment {
        const service = args.service;
        const settings = service[colour];
        const image = settings.image as string;
        const prefix = `${name}-${colour}`;
        const colourTags = { ...args.platform.tags, [SERVICE_TAG]: service.name, [COLOUR_TAG]: colour };
        const task = platform.apply((p) => serviceTask(service, colour, p));

        const roles = createTaskRoles(
            prefix,
            {
                taskRolePath: CONSUL_ECS_ROLE_PATH,
                taskRoleTags: { [ROLE_SERVICE_NAME_TAG]: service.name, ...colourTags },
                taskPolicy: (roleArn) =>
                    pulumi
                        .all([roleArn, pulumi.output(args.platform.endpoint.hosts)])
                        .apply(([arn, serverHosts]) => meshTaskRolePolicy({ roleArn: arn, serverHosts, executeCommand: service.enableExecuteCommand })),
                executionPolicy: pulumi
                    .all([platform, pulumi.output(args.platform.logGroupArn), pulumi.output(args.platform.secretsKmsKeyArn)])
                    .apply(([p, logGroupArn, kmsKeyArn]) =>
                        executionRolePolicy({
                            secretValueFroms: [p.caCertSecretArn, ...Object.values(appSecrets(service, colour))],
                            kmsKeyArn,
                            logGroupArn,
                            images: [image, p.consulEcsImage, p.dataplaneImage],
                        }),
                    ),
                tags: colourTags,
            },
            this,
        );

        const taskDefinition = new aws.ecs.TaskDefinition(
            `${prefix}-taskdef`,
            {
                family: `${pulumi.getStack()}-${service.name}-${colour}`,
                networkMode: "awsvpc",
                requiresCompatibilities: ["FARGATE"],
                cpu: String(service.cpu),
                memory: String(service.memory),
                taskRoleArn: roles.taskRole.arn,
                executionRoleArn: roles.executionRole.arn,
                volumes: meshVolumes(),
                containerDefinitions: task.apply((t) => JSON.stringify(t.containerDefinitions)),
                tags: { ...colourTags, [MESH_TAG]: "true", [SERVICE_NAME_TAG]: service.name },
            },
            { parent: this },
        );

        const ecsService = new aws.ecs.Service(
            `${prefix}-service`,
            {
                name: `${service.name}-${colour}`,
                cluster: args.platform.clusterArn,
                taskDefinition: taskDefinition.arn,
                desiredCount: settings.count,
                launchType: "FARGATE",
                networkConfiguration: { subnets: args.platform.privateSubnetIds, securityGroups: [args.securityGroupId], assignPublicIp: false },
                // The controller reads task tags and deregisters every task without the mesh tag.
                propagateTags: "TASK_DEFINITION",
                enableEcsManagedTags: true,
                deploymentCircuitBreaker: { enable: true, rollback: true },
                enableExecuteCommand: service.enableExecuteCommand,
                tags: colourTags,
            },
            // Named services cannot be created before the old one is gone.
            { parent: this, dependsOn: [...(args.platform.startAfter ?? []), ...roles.policies], deleteBeforeReplace: true },
        );

        return {
            ecsServiceName: ecsService.name,
            taskDefinitionArn: taskDefinition.arn,
            taskRoleArn: roles.taskRole.arn,
            desiredCount: settings.count,
        };
    }
}
